//! Threshold-free metrics from the scores sorted once: ROC and precision-recall curves, ROC
//! AUC, average precision, the best F1 and the recall at a false-alarm budget.
//!
//! Convention, as everywhere in the crate: a sample is flagged when `score > threshold`. Tied
//! scores cannot be split, so the cut points are the `m` distinct scores; cut `k` (`0..=m`)
//! flags the `k` highest distinct scores, and its threshold is the highest score it does not
//! flag (for `k = m`, the float just below the minimum). Every threshold reported is finite and
//! reproduces its point exactly through [`Threshold`](crate::threshold::Threshold).

use serde::{Deserialize, Serialize};

use super::ConfusionMatrix;
use crate::input::check_pair;
use crate::threshold::{Threshold, ThresholdMethod};
use crate::{Error, Result};

/// One distinct score with the counts flagged by cutting just below it.
#[derive(Debug, Clone, Copy)]
struct Cut {
    score: f64,
    /// Anomalies scoring at least `score`.
    tp: usize,
    /// Normal samples scoring at least `score`.
    fp: usize,
}

/// Scores and labels (true = anomalous) sorted once, O(n log n); every curve and summary after
/// that is O(distinct scores). Needs at least one anomalous and one normal sample: ROC and PR
/// are undefined otherwise, and [`Ranking::new`] errors.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// Distinct scores, highest first, with cumulative counts.
    cuts: Vec<Cut>,
    positives: usize,
    negatives: usize,
}

/// The highest-F1 cut. Chosen by looking at the labels, so on test data it is an optimistic
/// bound, not a result a deployed detector would reach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BestF1 {
    /// The best F1.
    pub f1: f64,
    /// Threshold reaching it (`score > threshold` flagged); the highest one among ties.
    pub threshold: f64,
    /// Precision at that threshold.
    pub precision: f64,
    /// Recall at that threshold.
    pub recall: f64,
}

/// The best recall within a false-alarm budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// The budget: the largest false positive rate allowed.
    pub target_fpr: f64,
    /// Threshold reaching it (`score > threshold` flagged); the highest one among ties.
    pub threshold: f64,
    /// Recall (true positive rate) there.
    pub recall: f64,
    /// The false positive rate actually reached, `<= target_fpr`.
    pub fpr: f64,
    /// Precision there (0 when nothing is flagged).
    pub precision: f64,
}

impl Ranking {
    /// Sorts `scores` with their `labels`. Errors on empty input, a length mismatch, a
    /// non-finite score (naming its index) or labels of one class only.
    pub fn new(scores: &[f64], labels: &[bool]) -> Result<Self> {
        check_pair(scores, "labels", labels.len())?;
        let positives = labels.iter().filter(|&&l| l).count();
        let negatives = labels.len() - positives;
        if positives == 0 || negatives == 0 {
            let class = if positives == 0 {
                "normal"
            } else {
                "anomalous"
            };
            let msg = format!(
                "all {} are {class}: ROC and PR need both classes",
                labels.len()
            );
            return Err(Error::invalid("labels", msg));
        }
        // `+ 0.0` turns -0.0 into 0.0, which `total_cmp` would otherwise order apart.
        let mut pairs: Vec<(f64, bool)> = scores
            .iter()
            .map(|s| s + 0.0)
            .zip(labels.iter().copied())
            .collect();
        pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let mut cuts: Vec<Cut> = Vec::new();
        let (mut tp, mut fp) = (0, 0);
        for (score, label) in pairs {
            if label {
                tp += 1;
            } else {
                fp += 1;
            }
            match cuts.last_mut() {
                Some(last) if last.score == score => (last.tp, last.fp) = (tp, fp),
                _ => cuts.push(Cut { score, tp, fp }),
            }
        }
        Ok(Ranking {
            cuts,
            positives,
            negatives,
        })
    }

    /// Anomalous samples.
    pub fn positives(&self) -> usize {
        self.positives
    }

    /// Normal samples.
    pub fn negatives(&self) -> usize {
        self.negatives
    }

    /// Distinct scores, `m`: there are `m + 1` cut points.
    pub fn distinct_scores(&self) -> usize {
        self.cuts.len()
    }

    /// `(tp, fp, threshold)` of cut `k` in `0..=m`.
    fn cut(&self, k: usize) -> (usize, usize, f64) {
        let (tp, fp) = match k {
            0 => (0, 0),
            _ => (self.cuts[k - 1].tp, self.cuts[k - 1].fp),
        };
        let threshold = match self.cuts.get(k) {
            Some(next) => next.score,
            None => self.cuts[k - 1].score.next_down(),
        };
        (tp, fp, threshold)
    }

    /// The confusion matrix of flagging `score > threshold`, by binary search.
    pub fn confusion_at(&self, threshold: f64) -> ConfusionMatrix {
        let k = self.cuts.partition_point(|c| c.score > threshold);
        let (tp, fp, _) = self.cut(k);
        ConfusionMatrix {
            tp,
            fp,
            tn: self.negatives - fp,
            fn_: self.positives - tp,
        }
    }

    /// ROC curve as `(fpr, tpr, threshold)` for every cut, from `(0, 0)` (threshold = highest
    /// score) to `(1, 1)`, fpr and tpr non-decreasing.
    pub fn roc_curve(&self) -> Vec<(f64, f64, f64)> {
        let (p, n) = (self.positives as f64, self.negatives as f64);
        (0..=self.cuts.len())
            .map(|k| {
                let (tp, fp, t) = self.cut(k);
                (fp as f64 / n, tp as f64 / p, t)
            })
            .collect()
    }

    /// Precision-recall curve as `(recall, precision, threshold)` for every cut that flags
    /// something (so precision is defined), recall non-decreasing. Unlike scikit-learn, no
    /// artificial `(0, 1)` end point is added.
    pub fn pr_curve(&self) -> Vec<(f64, f64, f64)> {
        let p = self.positives as f64;
        (1..=self.cuts.len())
            .map(|k| {
                let (tp, fp, t) = self.cut(k);
                (tp as f64 / p, tp as f64 / (tp + fp) as f64, t)
            })
            .collect()
    }

    /// Area under the ROC curve by the trapezoid rule, tied scores joined by a straight
    /// segment. Equals the Mann-Whitney U / (positives × negatives), ties counted 1/2: the
    /// chance that a random anomaly outscores a random normal sample. Summed exactly in integers.
    pub fn roc_auc(&self) -> f64 {
        let (mut twice_area, mut tp_prev, mut fp_prev) = (0u128, 0usize, 0usize);
        for c in &self.cuts {
            twice_area += ((c.fp - fp_prev) as u128) * ((c.tp + tp_prev) as u128);
            (tp_prev, fp_prev) = (c.tp, c.fp);
        }
        twice_area as f64 / (2.0 * self.positives as f64 * self.negatives as f64)
    }

    /// Average precision as scikit-learn defines it: `Σ_k (R_k − R_{k−1}) P_k` over the cuts,
    /// a step function without interpolation.
    pub fn average_precision(&self) -> f64 {
        let p = self.positives as f64;
        let mut tp_prev = 0;
        let mut sum = 0.0;
        for c in &self.cuts {
            sum += (c.tp - tp_prev) as f64 / p * (c.tp as f64 / (c.tp + c.fp) as f64);
            tp_prev = c.tp;
        }
        sum
    }

    /// The cut with the highest F1 = `2 tp / (tp + fp + positives)`, compared exactly in
    /// integers; among equal F1 the highest threshold (fewest alarms) wins.
    pub fn best_f1(&self) -> BestF1 {
        let p = self.positives as u128;
        let mut best = 1;
        for k in 2..=self.cuts.len() {
            let (a, b) = (self.cuts[k - 1], self.cuts[best - 1]);
            // 2a.tp / (a.tp + a.fp + p) > 2b.tp / (b.tp + b.fp + p), cross-multiplied.
            let lhs = a.tp as u128 * (b.tp as u128 + b.fp as u128 + p);
            let rhs = b.tp as u128 * (a.tp as u128 + a.fp as u128 + p);
            if lhs > rhs {
                best = k;
            }
        }
        let m = self.confusion_at(self.cut(best).2);
        BestF1 {
            f1: m.f1(),
            threshold: self.cut(best).2,
            precision: m.precision(),
            recall: m.recall(),
        }
    }

    /// The largest recall whose false positive rate (false alarms / normal samples) is at most
    /// `target_fpr`, e.g. 0.01 for 1% of normal beats flagged; among equal recall the highest
    /// threshold wins. Errors unless `0 <= target_fpr <= 1`.
    pub fn recall_at_fpr(&self, target_fpr: f64) -> Result<OperatingPoint> {
        if !(0.0..=1.0).contains(&target_fpr) {
            let msg = format!("{target_fpr} is not in [0, 1]");
            return Err(Error::invalid("target_fpr", msg));
        }
        let n = self.negatives as f64;
        // fp grows with k: the last cut within budget has the most recall.
        let mut k = self.cuts.partition_point(|c| c.fp as f64 / n <= target_fpr);
        while k > 0 && self.cut(k - 1).0 == self.cut(k).0 {
            k -= 1;
        }
        let (_, _, threshold) = self.cut(k);
        let m = self.confusion_at(threshold);
        Ok(OperatingPoint {
            target_fpr,
            threshold,
            recall: m.recall(),
            fpr: m.false_positive_rate(),
            precision: m.precision(),
        })
    }
}

/// The threshold with the best F1 on `scores` against `labels` (true = anomalous), over every
/// cut between distinct scores; among equal F1 the highest threshold
/// ([`Ranking::best_f1`]), as a [`Threshold`] of method [`ThresholdMethod::LabelledBestF1`].
/// Errors on empty input, a length mismatch, a non-finite score or labels of one class only.
pub fn fit_labelled(scores: &[f64], labels: &[bool]) -> Result<Threshold> {
    let best = Ranking::new(scores, labels)?.best_f1();
    Ok(Threshold {
        value: best.threshold,
        method: ThresholdMethod::LabelledBestF1,
    })
}
