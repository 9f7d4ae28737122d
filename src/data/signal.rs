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
    /// A record from samples held in memory (one vector per lead) with one name per lead,
    /// checked: `fs` finite and positive, at least one lead, every lead as long as the first,
    /// as many distinct, non-empty names as leads. [`Error::InvalidArgument`] names what is
    /// wrong. Samples are checked (finite, in range) where they are used, by the pipeline.
    pub fn new(fs: f64, lead_names: Vec<String>, leads: Vec<Vec<f32>>) -> Result<Ecg> {
        crate::input::check_fs(fs)?;
        if leads.is_empty() {
            return Err(Error::invalid("leads", "a record needs at least one lead"));
        }
        if let Some(i) = leads.iter().position(|l| l.len() != leads[0].len()) {
            let msg = format!(
                "lead {i} has {} samples, lead 0 has {}: every lead must be as long",
                leads[i].len(),
                leads[0].len()
            );
            return Err(Error::invalid("leads", msg));
        }
        if lead_names.len() != leads.len() {
            let msg = format!("{} names for {} leads", lead_names.len(), leads.len());
            return Err(Error::invalid("lead_names", msg));
        }
        for (i, name) in lead_names.iter().enumerate() {
            if name.trim().is_empty() || lead_names[..i].contains(name) {
                let msg = format!("lead {i}'s name {name:?} is empty or named twice");
                return Err(Error::invalid("lead_names", msg));
            }
        }
        Ok(Ecg {
            fs,
            lead_names,
            leads,
        })
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_checks_rate_leads_and_names() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ecg = Ecg::new(
            250.0,
            names(&["I", "II"]),
            vec![vec![0.0; 10], vec![1.0; 10]],
        )
        .unwrap();
        assert_eq!((ecg.len(), ecg.lead("II").unwrap()[0]), (10, 1.0));
        let err = |fs: f64, n: &[&str], leads: Vec<Vec<f32>>| {
            Ecg::new(fs, names(n), leads).unwrap_err().to_string()
        };
        assert!(err(0.0, &["I"], vec![vec![0.0]]).contains("invalid fs"));
        assert!(err(f64::NAN, &["I"], vec![vec![0.0]]).contains("invalid fs"));
        assert!(err(250.0, &[], vec![]).contains("at least one lead"));
        let ragged = err(250.0, &["I", "II"], vec![vec![0.0; 3], vec![0.0; 2]]);
        assert!(ragged.contains("lead 1 has 2 samples"), "{ragged}");
        assert!(err(250.0, &["I"], vec![vec![0.0], vec![0.0]]).contains("1 names for 2 leads"));
        assert!(err(250.0, &["I", "I"], vec![vec![0.0], vec![0.0]]).contains("named twice"));
        assert!(err(250.0, &[" "], vec![vec![0.0]]).contains("empty"));
    }
}
