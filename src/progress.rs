//! The progress bar: on standard error, and only when that is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use flowaudit::collect::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bar {
    bar: ProgressBar,
    resources: AtomicUsize,
    errors: AtomicUsize,
}

impl Bar {
    /// A bar when standard error is a terminal, otherwise nothing is drawn.
    pub fn new() -> Bar {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        let style = ProgressStyle::with_template(
            "{spinner} {prefix} [{bar:30}] {pos}/{len} (ETA {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Bar {
            bar,
            resources: AtomicUsize::new(0),
            errors: AtomicUsize::new(0),
        }
    }
}

impl Progress for Bar {
    fn start(&self, pairs: usize) {
        self.bar.set_prefix("accounts x regions");
        self.bar.set_length(pairs as u64);
    }
    fn region_done(&self, account: &str, region: &str, resources: usize, errors: usize) {
        let seen = self.resources.fetch_add(resources, Ordering::Relaxed) + resources;
        let failed = self.errors.fetch_add(errors, Ordering::Relaxed) + errors;
        self.bar.inc(1);
        self.bar.set_message(format!(
            "{account}/{region} done; {seen} resources seen, {failed} errors so far"
        ));
    }
    fn buckets(&self, count: usize) {
        self.bar.set_prefix("buckets");
        self.bar.set_position(0);
        self.bar.set_length(count as u64);
    }
    fn bucket_done(&self, name: &str) {
        self.bar.inc(1);
        self.bar.set_message(name.to_string());
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
