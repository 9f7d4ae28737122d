//! Recall per beat class (e.g. AAMI N/S/V/F/Q): which kinds of anomaly a detector catches.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::input::check_len;

/// How many samples of one class were flagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassRecall<C> {
    /// The class.
    pub class: C,
    /// Samples of this class.
    pub n: usize,
    /// Of which flagged.
    pub detected: usize,
    /// `detected / n`. For the normal class this is its false alarm rate.
    pub recall: f64,
}

/// Flagged share of each class present in `classes`, in the classes' order (N, S, V, F, Q for
/// [`AamiClass`](crate::data::beat::AamiClass)). Errors when the lengths differ.
pub fn class_recall<C: Ord + Clone>(flags: &[bool], classes: &[C]) -> Result<Vec<ClassRecall<C>>> {
    check_len("flags", flags.len(), "classes", classes.len())?;
    let mut counts: BTreeMap<&C, (usize, usize)> = BTreeMap::new();
    for (&flag, class) in flags.iter().zip(classes) {
        let entry = counts.entry(class).or_default();
        entry.0 += 1;
        entry.1 += usize::from(flag);
    }
    Ok(counts
        .into_iter()
        .map(|(class, (n, detected))| ClassRecall {
            class: class.clone(),
            n,
            detected,
            recall: detected as f64 / n as f64,
        })
        .collect())
}
