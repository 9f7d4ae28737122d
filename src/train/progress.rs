//! A one-line text progress bar on stderr, as burn-train's renderer (the crate builds burn-train
//! without its terminal UI). Silent when the configuration is `quiet` or stderr is not a terminal; the per-epoch summary
//! lines come from the monitor.

use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::MetricDefinition;
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};

/// Width of the bar in characters.
const BAR: usize = 30;

/// Draws `epoch e/n train [#####.....] done/total windows`, redrawn when a bar cell fills.
#[derive(Debug, Default)]
pub(crate) struct ProgressBar {
    quiet: bool,
    epoch: usize,
    epochs: usize,
    split: String,
    total: usize,
    cells: usize,
}

impl ProgressBar {
    /// A bar that draws only when not `quiet` and stderr is a terminal (a log file gets the
    /// per-epoch lines alone, not hundreds of redraws).
    pub(crate) fn new(quiet: bool) -> Self {
        use std::io::IsTerminal;
        Self {
            quiet: quiet || !std::io::stderr().is_terminal(),
            ..Self::default()
        }
    }

    fn draw(&mut self, done: usize) {
        if self.quiet || self.total == 0 {
            return;
        }
        let cells = (done.min(self.total) * BAR) / self.total;
        if cells == self.cells && done != 0 {
            return;
        }
        self.cells = cells;
        let bar = format!("{}{}", "#".repeat(cells), ".".repeat(BAR - cells));
        // eprint! (not a raw stderr handle) so test harnesses capture the bar.
        eprint!(
            "\repoch {}/{} {:<5} [{bar}] {done}/{}",
            self.epoch, self.epochs, self.split, self.total
        );
    }

    fn clear(&self) {
        if !self.quiet {
            eprint!("\r{:width$}\r", "", width = BAR + 60);
        }
    }
}

impl TrainingProgressLogger for ProgressBar {
    fn start(&mut self, epochs: usize, start: usize, _items: Option<usize>, _label: Option<&str>) {
        self.epochs = epochs;
        self.epoch = start;
    }

    /// Called when `epoch` ends: the bar shows the next one.
    fn update_epoch(&mut self, epoch: usize) {
        self.epoch = epoch + 1;
    }

    fn start_split(&mut self, split: &str, total_items: usize) {
        self.split = split.to_string();
        self.total = total_items;
        self.cells = 0;
        self.draw(0);
    }

    fn update_split(&mut self, items_processed: usize) {
        self.draw(items_processed);
    }

    fn end_split(&mut self) {
        self.clear();
    }

    fn end(&mut self) {}

    fn log_event_training(&mut self, _event: String) {}
}

impl MetricsRendererTraining for ProgressBar {
    fn update_train(&mut self, _state: MetricState) {}

    fn update_valid(&mut self, _state: MetricState) {}
}

impl EvaluationProgressLogger for ProgressBar {
    fn start_global_progress(&mut self, _total_tests: usize) {}

    fn start_test(&mut self, _name: &str, _total_items: usize) {}

    fn update_test_progress(&mut self, _items_processed: usize) {}

    fn end_test(&mut self) {}

    fn end_global_progress(&mut self) {}

    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRendererEvaluation for ProgressBar {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
}

impl MetricsRenderer for ProgressBar {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, _definition: MetricDefinition) {}
}
