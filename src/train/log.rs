//! The record of a training run: one [`EpochLog`] per epoch, written as `training_log.csv` and
//! `history.json` in the output folder.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::json::save_json;
use crate::{Error, Result};

/// File name of the per-epoch CSV log (`epoch,train_loss,valid_loss,seconds`).
pub const TRAINING_LOG_CSV: &str = "training_log.csv";
/// File name of the [`TrainingHistory`] as JSON.
pub const HISTORY_JSON: &str = "history.json";

/// Losses and duration of one epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's windows (augmented, with the model in training mode).
    pub train_loss: f64,
    /// Mean loss over the normal validation windows, model in evaluation mode.
    pub valid_loss: f64,
    /// Wall-clock seconds of the epoch, training and validation.
    pub seconds: f64,
}

/// Every epoch of a run and which one gave the kept weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingHistory {
    /// One entry per epoch run, in order.
    pub epochs: Vec<EpochLog>,
    /// The epoch with the lowest validation loss (improvements smaller than `min_delta` not
    /// counted), whose weights the trained model holds.
    pub best_epoch: usize,
    /// True when early stopping ended the run before its last epoch.
    pub stopped_early: bool,
}

impl TrainingHistory {
    /// What ended the run, as one line: early stopping, or the epoch cap (with a hint to
    /// raise it when the validation loss still fell in the last epoch).
    pub fn ending(&self) -> String {
        let run = self.epochs.len();
        let best = self.best_epoch;
        if self.stopped_early {
            return format!(
                "training ended by early stopping after {run} epochs (weights of epoch {best} kept)"
            );
        }
        let still_falling = best == run && run > 1;
        let hint = match still_falling {
            true => ": the validation loss still fell in the last epoch; raise `training.epochs`",
            false => "",
        };
        format!("training ended at its cap of {run} epochs (weights of epoch {best} kept){hint}")
    }

    /// The log of the best epoch.
    pub fn best(&self) -> Option<&EpochLog> {
        self.epochs.iter().find(|e| e.epoch == self.best_epoch)
    }

    /// Writes `history.json` into `dir`.
    pub fn save_json(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(HISTORY_JSON);
        save_json(self, &path)?;
        Ok(path)
    }
}

/// `training_log.csv`, one row appended and flushed per epoch so a running or crashed training
/// leaves a readable log.
#[derive(Debug)]
pub(crate) struct CsvLog {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl CsvLog {
    /// Creates (truncates) `dir/training_log.csv` and writes the header.
    pub(crate) fn create(dir: &Path) -> Result<Self> {
        let path = dir.join(TRAINING_LOG_CSV);
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut log = Self {
            writer: BufWriter::new(file),
            path,
        };
        log.write_line("epoch,train_loss,valid_loss,seconds")?;
        Ok(log)
    }

    /// Appends one epoch.
    pub(crate) fn append(&mut self, e: &EpochLog) -> Result<()> {
        let line = format!(
            "{},{},{},{:.3}",
            e.epoch, e.train_loss, e.valid_loss, e.seconds
        );
        self.write_line(&line)
    }

    fn write_line(&mut self, line: &str) -> Result<()> {
        writeln!(self.writer, "{line}")
            .and_then(|()| self.writer.flush())
            .map_err(|e| Error::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(losses: &[f64], best_epoch: usize, stopped_early: bool) -> TrainingHistory {
        let epochs = (losses.iter().enumerate())
            .map(|(i, &l)| EpochLog {
                epoch: i + 1,
                train_loss: l,
                valid_loss: l,
                seconds: 1.0,
            })
            .collect();
        TrainingHistory {
            epochs,
            best_epoch,
            stopped_early,
        }
    }

    #[test]
    fn the_ending_says_what_ended_the_run() {
        let early = history(&[3.0, 2.0, 2.5, 2.6], 2, true).ending();
        assert!(early.contains("early stopping after 4 epochs") && early.contains("epoch 2"));
        let capped = history(&[3.0, 2.0, 1.0], 3, false).ending();
        assert!(capped.contains("cap of 3 epochs") && capped.contains("raise `training.epochs`"));
        let flat = history(&[3.0, 2.0, 2.5], 2, false).ending();
        assert!(
            flat.contains("cap of 3 epochs") && !flat.contains("raise"),
            "{flat}"
        );
    }
}
