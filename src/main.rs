mod cli;
mod commands;
mod exit;
mod output;
mod progress;

use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: about 15% less CPU for an organisation scan, at
/// about 20 MB more peak memory at 1,000 accounts x 17 regions (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(e) => {
            // One paragraph: the whole context chain on one line, no backtrace.
            eprintln!("error: {e:#}");
            // Exit 2 is for bad input only; an account that could not be seen is exit 3.
            let unseen = e
                .downcast_ref::<flowaudit::collect::CollectError>()
                .is_some_and(flowaudit::collect::CollectError::is_unseen);
            ExitCode::from(if unseen {
                exit::INCOMPLETE
            } else {
                exit::BAD_INPUT
            })
        }
    }
}
