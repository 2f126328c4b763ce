mod cli;
mod progress;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(e) => {
            // One paragraph: the whole context chain on one line, no backtrace.
            eprintln!("error: {e:#}");
            ExitCode::from(cli::exit::BAD_INPUT)
        }
    }
}
