//! The in-memory ECG every reader produces and every preprocessing step consumes.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A multi-lead ECG in physical units (usually mV), sampled at `fs` Hz, one `Vec<f32>` per lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ecg {
    /// Sampling frequency in Hz.
    pub fs: f64,
    /// One name per lead (e.g. `MLII`, `V1`), in the order of `leads`.
    pub lead_names: Vec<String>,
    /// Samples, one vector per lead, all the same length.
    pub leads: Vec<Vec<f32>>,
}

impl Ecg {
    /// Number of samples per lead (0 when there is no lead).
    pub fn len(&self) -> usize {
        self.leads.first().map_or(0, Vec::len)
    }

    /// True when the record holds no sample.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        self.len() as f64 / self.fs
    }

    /// Index of the first lead called `name` (case-sensitive).
    pub fn lead_index(&self, name: &str) -> Option<usize> {
        self.lead_names.iter().position(|n| n == name)
    }

    /// Samples of the first lead called `name`.
    pub fn lead(&self, name: &str) -> Option<&[f32]> {
        self.lead_index(name).map(|i| self.leads[i].as_slice())
    }

    /// The leads called `names`, in that order: what a detector fitted on several leads takes.
    /// [`Error::InvalidArgument`] naming the first lead the record lacks and listing those it
    /// has.
    pub fn select_leads<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<&[f32]>> {
        names
            .iter()
            .map(|name| {
                let name = name.as_ref();
                self.lead(name).ok_or_else(|| {
                    let msg = format!(
                        "the record has no lead \"{name}\" (its leads: {})",
                        self.lead_names.join(", ")
                    );
                    Error::invalid("leads", msg)
                })
            })
            .collect()
    }
}
