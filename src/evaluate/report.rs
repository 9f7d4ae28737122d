//! One call from scores, labels and a threshold to every metric, as a serialisable report.

use serde::{Deserialize, Serialize};

use super::classes::{ClassRecall, class_recall};
use super::{BestF1, ConfusionMatrix, Metrics, OperatingPoint, Ranking};
use crate::input::check_len;
use crate::threshold::Threshold;
use crate::{Error, Result};

/// Settings of [`evaluate`]; every field has a default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvaluationConfig {
    /// False-alarm budget of [`EvaluationReport::recall_at_fpr`] (default 0.01: 1% of normal
    /// beats flagged).
    pub target_fpr: f64,
    /// Curves keep a point only when it moves at least this far in either coordinate from the
    /// last kept one, ends always kept (default 0.001; 0 keeps every point). For plotting:
    /// AUC and AP are computed on the full curves.
    pub curve_resolution: f64,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        EvaluationConfig {
            target_fpr: 0.01,
            curve_resolution: 0.001,
        }
    }
}

/// Everything [`evaluate`] measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    /// The settings used.
    pub config: EvaluationConfig,
    /// Anomalous samples.
    pub positives: usize,
    /// Normal samples.
    pub negatives: usize,
    /// The threshold evaluated (`score > value` flagged).
    pub threshold: Threshold,
    /// Counts at that threshold.
    pub confusion: ConfusionMatrix,
    /// Metrics at that threshold.
    pub metrics: Metrics,
    /// [`Ranking::roc_auc`].
    pub roc_auc: f64,
    /// [`Ranking::average_precision`].
    pub average_precision: f64,
    /// [`Ranking::recall_at_fpr`] at `config.target_fpr`.
    pub recall_at_fpr: OperatingPoint,
    /// [`Ranking::best_f1`]: chosen with these labels, an optimistic bound, not a result.
    pub oracle_best_f1: BestF1,
    /// [`Ranking::roc_curve`], thinned to `config.curve_resolution`.
    pub roc_curve: Vec<(f64, f64, f64)>,
    /// [`Ranking::pr_curve`], thinned to `config.curve_resolution`.
    pub pr_curve: Vec<(f64, f64, f64)>,
}

/// An [`EvaluationReport`] with the recall of each beat class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassEvaluation<C> {
    /// The anomalous-versus-normal report.
    pub report: EvaluationReport,
    /// [`class_recall`] at the report's threshold.
    pub classes: Vec<ClassRecall<C>>,
}

/// Evaluates `scores` (higher = more anomalous) against `labels` (true = anomalous) at
/// `threshold`. Errors on empty input, a length mismatch, a non-finite score (with its index),
/// labels of one class only (ROC AUC and AP are undefined) or an invalid `config`.
pub fn evaluate(
    scores: &[f64],
    labels: &[bool],
    threshold: &Threshold,
    config: &EvaluationConfig,
) -> Result<EvaluationReport> {
    let resolution = config.curve_resolution;
    if !(0.0..1.0).contains(&resolution) {
        let msg = format!("{resolution} is not in [0, 1)");
        return Err(Error::invalid("curve_resolution", msg));
    }
    let ranking = Ranking::new(scores, labels)?;
    let recall_at_fpr = ranking.recall_at_fpr(config.target_fpr)?;
    let confusion = ranking.confusion_at(threshold.value);
    Ok(EvaluationReport {
        config: *config,
        positives: ranking.positives(),
        negatives: ranking.negatives(),
        threshold: threshold.clone(),
        confusion,
        metrics: confusion.metrics(),
        roc_auc: ranking.roc_auc(),
        average_precision: ranking.average_precision(),
        recall_at_fpr,
        oracle_best_f1: ranking.best_f1(),
        roc_curve: thin(ranking.roc_curve(), resolution),
        pr_curve: thin(ranking.pr_curve(), resolution),
    })
}

/// [`evaluate`], plus the recall of each class in `classes` (one per score, e.g. AAMI classes).
pub fn evaluate_classes<C: Ord + Clone>(
    scores: &[f64],
    labels: &[bool],
    classes: &[C],
    threshold: &Threshold,
    config: &EvaluationConfig,
) -> Result<ClassEvaluation<C>> {
    let report = evaluate(scores, labels, threshold, config)?;
    check_len("scores", scores.len(), "classes", classes.len())?;
    let classes = class_recall(&threshold.flag(scores), classes)?;
    Ok(ClassEvaluation { report, classes })
}

/// Keeps the first point, each point at least `resolution` away (in x or y) from the last one
/// kept, and the last point.
pub(crate) fn thin(points: Vec<(f64, f64, f64)>, resolution: f64) -> Vec<(f64, f64, f64)> {
    let Some(&last) = points.last() else {
        return points;
    };
    let mut kept: Vec<(f64, f64, f64)> = Vec::new();
    for p in points {
        let far = match kept.last() {
            Some(q) => (p.0 - q.0).abs().max((p.1 - q.1).abs()) >= resolution,
            None => true,
        };
        if far {
            kept.push(p);
        }
    }
    if kept.last() != Some(&last) {
        kept.push(last);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_ends_and_spacing() {
        let points: Vec<_> = (0..=100).map(|i| (i as f64 / 100.0, 0.0, 0.0)).collect();
        let kept = thin(points.clone(), 0.095);
        let xs: Vec<f64> = kept.iter().map(|p| p.0).collect();
        assert_eq!(xs.first(), Some(&0.0));
        assert_eq!(xs.last(), Some(&1.0));
        assert_eq!(kept.len(), 11); // 0, 0.10, ..., 1.00.
        assert_eq!(thin(points.clone(), 0.0), points);
    }
}
