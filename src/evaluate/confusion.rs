//! The 2 x 2 confusion matrix at one threshold and the metrics read from it.
//!
//! Zero-division rule: every ratio whose denominator is zero is `0.0` (scikit-learn's
//! `zero_division=0`), so no metric is ever NaN. E.g. precision with nothing flagged is 0,
//! recall on data without anomalies is 0, and MCC is 0 whenever a row or column is empty.

use serde::{Deserialize, Serialize};

use crate::input::check_len;
use crate::{Error, Result};

/// Counts of flagged/unflagged against anomalous/normal (anomalous = positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Anomalies flagged.
    pub tp: usize,
    /// Normal samples flagged (false alarms).
    pub fp: usize,
    /// Normal samples not flagged.
    pub tn: usize,
    /// Anomalies missed.
    #[serde(rename = "fn")]
    pub fn_: usize,
}

/// Every metric of a [`ConfusionMatrix`], for reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// [`ConfusionMatrix::accuracy`].
    pub accuracy: f64,
    /// [`ConfusionMatrix::precision`].
    pub precision: f64,
    /// [`ConfusionMatrix::recall`] (sensitivity).
    pub recall: f64,
    /// [`ConfusionMatrix::specificity`].
    pub specificity: f64,
    /// [`ConfusionMatrix::false_positive_rate`].
    pub false_positive_rate: f64,
    /// [`ConfusionMatrix::f1`].
    pub f1: f64,
    /// [`ConfusionMatrix::f2`].
    pub f2: f64,
    /// [`ConfusionMatrix::mcc`].
    pub mcc: f64,
    /// [`ConfusionMatrix::balanced_accuracy`].
    pub balanced_accuracy: f64,
}

/// `a / b`, or 0 when `b` is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

impl ConfusionMatrix {
    /// Counts `flags` (true = flagged) against `labels` (true = anomalous); errors when their
    /// lengths differ.
    pub fn from_flags(flags: &[bool], labels: &[bool]) -> Result<Self> {
        check_len("flags", flags.len(), "labels", labels.len())?;
        let mut m = ConfusionMatrix::default();
        for (&flag, &label) in flags.iter().zip(labels) {
            match (flag, label) {
                (true, true) => m.tp += 1,
                (true, false) => m.fp += 1,
                (false, false) => m.tn += 1,
                (false, true) => m.fn_ += 1,
            }
        }
        Ok(m)
    }

    /// All samples.
    pub fn total(&self) -> usize {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// Anomalous samples (`tp + fn`).
    pub fn positives(&self) -> usize {
        self.tp + self.fn_
    }

    /// Normal samples (`tn + fp`).
    pub fn negatives(&self) -> usize {
        self.tn + self.fp
    }

    /// `(tp + tn) / total`.
    pub fn accuracy(&self) -> f64 {
        ratio((self.tp + self.tn) as f64, self.total() as f64)
    }

    /// `tp / (tp + fp)`: the share of alarms that are anomalies.
    pub fn precision(&self) -> f64 {
        ratio(self.tp as f64, (self.tp + self.fp) as f64)
    }

    /// `tp / (tp + fn)`: the share of anomalies flagged (sensitivity, true positive rate).
    pub fn recall(&self) -> f64 {
        ratio(self.tp as f64, self.positives() as f64)
    }

    /// `tn / (tn + fp)`: the share of normal samples left alone (true negative rate).
    pub fn specificity(&self) -> f64 {
        ratio(self.tn as f64, self.negatives() as f64)
    }

    /// `fp / (fp + tn)`: the false alarm rate on normal samples.
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.fp as f64, self.negatives() as f64)
    }

    /// `(1 + b²) tp / ((1 + b²) tp + b² fn + fp)`; recall weighs `beta` times as much as
    /// precision. Errors unless `beta` is finite and positive; 0 when `tp = fp = fn = 0`.
    pub fn f_beta(&self, beta: f64) -> Result<f64> {
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::invalid("beta", format!("{beta} is not positive")));
        }
        Ok(self.f_beta_unchecked(beta))
    }

    fn f_beta_unchecked(&self, beta: f64) -> f64 {
        let b2 = beta * beta;
        let tp = self.tp as f64;
        ratio(
            (1.0 + b2) * tp,
            (1.0 + b2) * tp + b2 * self.fn_ as f64 + self.fp as f64,
        )
    }

    /// F1, the harmonic mean of precision and recall: `2 tp / (2 tp + fp + fn)`.
    pub fn f1(&self) -> f64 {
        self.f_beta_unchecked(1.0)
    }

    /// F2: recall weighs twice as much as precision.
    pub fn f2(&self) -> f64 {
        self.f_beta_unchecked(2.0)
    }

    /// Matthews correlation coefficient in `[-1, 1]`:
    /// `(tp tn - fp fn) / sqrt((tp + fp)(tp + fn)(tn + fp)(tn + fn))`, 0 when a factor is 0.
    pub fn mcc(&self) -> f64 {
        let (tp, fp, tn, fn_) = (
            self.tp as f64,
            self.fp as f64,
            self.tn as f64,
            self.fn_ as f64,
        );
        let numerator =
            (self.tp as i128 * self.tn as i128 - self.fp as i128 * self.fn_ as i128) as f64;
        let denominator = ((tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_)).sqrt();
        ratio(numerator, denominator)
    }

    /// `(recall + specificity) / 2`, each 0 when its class is absent.
    pub fn balanced_accuracy(&self) -> f64 {
        (self.recall() + self.specificity()) / 2.0
    }

    /// Every metric at once.
    pub fn metrics(&self) -> Metrics {
        Metrics {
            accuracy: self.accuracy(),
            precision: self.precision(),
            recall: self.recall(),
            specificity: self.specificity(),
            false_positive_rate: self.false_positive_rate(),
            f1: self.f1(),
            f2: self.f2(),
            mcc: self.mcc(),
            balanced_accuracy: self.balanced_accuracy(),
        }
    }
}
