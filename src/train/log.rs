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
