//! The progress indicator of `omctl run`: on a terminal only (stderr), quiet
//! otherwise so that logs of scheduled runs stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use omctl_runtime::workflow::Progress;

use crate::logging;

/// Shows records written and the source's own progress message.
pub struct TerminalProgress {
    bar: ProgressBar,
}

impl TerminalProgress {
    /// A spinner on stderr when stderr is a terminal, else `None`.
    pub fn start() -> Option<TerminalProgress> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {pos} records written  {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        logging::set_bar(bar.clone());
        Some(TerminalProgress { bar })
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        logging::clear_bar();
    }
}

impl Progress for TerminalProgress {
    fn source_progress(&self, message: &str, done: u64, total: Option<u64>) {
        let text = match total {
            Some(total) => format!("{message} ({done}/{total})"),
            None if done > 0 => format!("{message} ({done})"),
            None => message.to_string(),
        };
        self.bar.set_message(text);
    }

    fn records(&self, written: u64) {
        self.bar.set_position(written);
    }
}
