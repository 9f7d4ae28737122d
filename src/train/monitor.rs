//! The end-of-epoch hooks given to burn-train: one shared [`Monitor`] reads the epoch's mean
//! losses from the metric store, logs them, decides which weights to keep (as a
//! `CheckpointingStrategy`) and when to stop (as an `EarlyStoppingStrategy`). Kept weights live
//! in memory, and also as burnpack files when the trainer has an output folder.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use burn::store::ModuleRecord;
use burn::train::checkpoint::{
    Checkpoint, Checkpointer, CheckpointerError, CheckpointingAction, CheckpointingStrategy,
    FileCheckpointer,
};
use burn::train::metric::store::{Aggregate, EventStoreClient, Split};
use burn::train::{EarlyStoppingStrategy, Interrupter};

use super::log::{CsvLog, EpochLog};
use crate::Error;

/// Name burn's `LossMetric` registers under.
const LOSS: &str = "Loss";

/// What the monitor needs to know about the run.
#[derive(Debug)]
pub(crate) struct MonitorSettings {
    pub(crate) epochs: usize,
    pub(crate) patience: Option<usize>,
    pub(crate) min_delta: f64,
    pub(crate) quiet: bool,
}

pub(crate) struct MonitorState {
    settings: MonitorSettings,
    pub(crate) history: Vec<EpochLog>,
    /// Best epoch so far and its validation loss.
    pub(crate) best: Option<(usize, f64)>,
    pub(crate) stopped_early: bool,
    /// The first error met in a hook (which cannot return one); the hook also stops training.
    pub(crate) error: Option<Error>,
    csv: Option<CsvLog>,
    epoch_start: Instant,
    interrupter: Interrupter,
}

impl MonitorState {
    /// After `epoch`: the best epoch so far and how much is left, from the mean epoch time. With
    /// early stopping, the run ends within `patience` epochs of its best unless the loss
    /// improves, and at its cap in any case.
    fn outlook(&self, epoch: usize) -> String {
        let settings = &self.settings;
        let done = self.history.len().max(1) as f64;
        let per_epoch = self.history.iter().map(|e| e.seconds).sum::<f64>() / done;
        let left = settings.epochs.saturating_sub(epoch);
        let best = match self.best {
            Some((e, loss)) => format!("; best {e} ({loss:.6})"),
            None => String::new(),
        };
        if left == 0 {
            return format!("{best}; the last epoch");
        }
        let time = |epochs: usize| format!("~{:.0} s", epochs as f64 * per_epoch);
        let best_epoch = self.best.map_or(0, |(e, _)| e);
        match settings.patience {
            Some(patience) => {
                let stop = patience.saturating_sub(epoch - best_epoch).min(left);
                if stop == 0 {
                    return format!("{best}; early stopping ends the run here");
                }
                format!(
                    "{best}; ends within {stop} epoch(s) ({}) unless it improves, {left} ({}) at most",
                    time(stop),
                    time(left)
                )
            }
            None => format!("{best}; {left} epoch(s) left ({})", time(left)),
        }
    }
}

/// Shared handle on the run's state; clones see the same state.
#[derive(Clone)]
pub(crate) struct Monitor(Arc<Mutex<MonitorState>>);

impl Monitor {
    pub(crate) fn new(
        settings: MonitorSettings,
        csv: Option<CsvLog>,
        interrupter: Interrupter,
    ) -> Self {
        Self(Arc::new(Mutex::new(MonitorState {
            settings,
            history: Vec::new(),
            best: None,
            stopped_early: false,
            error: None,
            csv,
            epoch_start: Instant::now(),
            interrupter,
        })))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, MonitorState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `epoch` and says whether its weights are the best so far.
    fn end_epoch(&self, epoch: usize, store: &EventStoreClient) -> bool {
        let mut state = self.lock();
        let loss = |split| {
            store
                .find_metric(LOSS, epoch, Aggregate::Mean, &split)
                .unwrap_or(f64::NAN)
        };
        let log = EpochLog {
            epoch,
            train_loss: loss(Split::Train),
            valid_loss: loss(Split::Valid),
            seconds: state.epoch_start.elapsed().as_secs_f64(),
        };
        state.epoch_start = Instant::now();
        let improved = log.valid_loss.is_finite()
            && state
                .best
                .is_none_or(|(_, best)| log.valid_loss < best - state.settings.min_delta);
        if improved {
            state.best = Some((epoch, log.valid_loss));
        }
        state.history.push(log);
        if !state.settings.quiet {
            let mark = if improved { " *" } else { "" };
            eprintln!(
                "epoch {}/{}: train loss {:.6}, valid loss {:.6}, {:.2} s{mark}{}",
                epoch,
                state.settings.epochs,
                log.train_loss,
                log.valid_loss,
                log.seconds,
                state.outlook(epoch)
            );
        }
        let failed = state.csv.as_mut().and_then(|csv| csv.append(&log).err());
        if let Some(e) = failed {
            state.interrupter.stop(Some(&e.to_string()));
            state.error.get_or_insert(e);
        }
        improved
    }

    fn should_stop(&self, epoch: usize) -> bool {
        let mut state = self.lock();
        let Some(patience) = state.settings.patience else {
            return false;
        };
        let best_epoch = state.best.map_or(0, |(e, _)| e);
        let stop = epoch - best_epoch >= patience && epoch < state.settings.epochs;
        state.stopped_early |= stop;
        stop
    }
}

/// Keeps the weights of the best epoch: saves on improvement and deletes the previous best.
pub(crate) struct KeepBest {
    pub(crate) monitor: Monitor,
    pub(crate) saved: Option<usize>,
}

impl CheckpointingStrategy for KeepBest {
    fn checkpointing(
        &mut self,
        epoch: usize,
        store: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        if !self.monitor.end_epoch(epoch, store) {
            return Vec::new();
        }
        let mut actions: Vec<_> = self
            .saved
            .map(CheckpointingAction::Delete)
            .into_iter()
            .collect();
        actions.push(CheckpointingAction::Save);
        self.saved = Some(epoch);
        actions
    }
}

/// Stops when the validation loss has not improved for `patience` epochs.
#[derive(Clone)]
pub(crate) struct StopOnPlateau(pub(crate) Monitor);

impl EarlyStoppingStrategy for StopOnPlateau {
    fn should_stop(&mut self, epoch: usize, _store: &EventStoreClient) -> bool {
        self.0.should_stop(epoch)
    }
}

/// Model checkpoints kept in memory (to restore the best weights) and, optionally, as files.
#[derive(Clone, Default)]
pub(crate) struct ModelCheckpoints {
    records: Arc<Mutex<BTreeMap<usize, ModuleRecord>>>,
    files: Option<Arc<FileCheckpointer>>,
}

impl ModelCheckpoints {
    /// Also writes `dir/model-<epoch>.bpk`.
    pub(crate) fn with_files(dir: &Path) -> Self {
        Self {
            files: Some(Arc::new(FileCheckpointer::new(dir, "model"))),
            ..Self::default()
        }
    }

    /// The record saved for `epoch`, if any.
    pub(crate) fn take(&self, epoch: usize) -> Option<ModuleRecord> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.remove(&epoch)
    }
}

impl Checkpointer<ModuleRecord> for ModelCheckpoints {
    fn save(&self, epoch: usize, record: ModuleRecord) -> Result<(), CheckpointerError> {
        if let Some(files) = &self.files {
            files.save(epoch, record.clone())?;
        }
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.insert(epoch, record);
        Ok(())
    }

    fn delete(&self, epoch: usize) -> Result<(), CheckpointerError> {
        if let Some(files) = &self.files {
            Checkpointer::<ModuleRecord>::delete(files.as_ref(), epoch)?;
        }
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.remove(&epoch);
        Ok(())
    }

    fn restore(&self, epoch: usize) -> Result<ModuleRecord, CheckpointerError> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records
            .get(&epoch)
            .cloned()
            .ok_or_else(|| CheckpointerError::Unknown(format!("no checkpoint for epoch {epoch}")))
    }
}

/// Discards optimizer and scheduler state: runs are not resumed, only their best weights kept.
pub(crate) struct Discard;

impl<R: Checkpoint> Checkpointer<R> for Discard {
    fn save(&self, _epoch: usize, _record: R) -> Result<(), CheckpointerError> {
        Ok(())
    }

    fn delete(&self, _epoch: usize) -> Result<(), CheckpointerError> {
        Ok(())
    }

    fn restore(&self, epoch: usize) -> Result<R, CheckpointerError> {
        Err(CheckpointerError::Unknown(format!(
            "optimizer state of epoch {epoch} was not kept"
        )))
    }
}
