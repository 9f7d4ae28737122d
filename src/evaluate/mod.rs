//! Evaluation of anomaly scores against labels (true = anomalous, higher score = more
//! anomalous, flagged when `score > threshold`).
//!
//! - [`ConfusionMatrix`]: the counts at one threshold and the metrics read from them;
//! - [`Ranking`]: threshold-free metrics from one sort (ROC/PR curves, ROC AUC, average
//!   precision, best F1, recall at a false-alarm budget), and [`fit_labelled`], the best-F1
//!   [`Threshold`](crate::threshold::Threshold);
//! - [`class_recall`]: the flagged share of each beat class;
//! - [`bootstrap_groups`] / [`bootstrap_draws`]: percentile intervals over resampled groups
//!   (test records), and [`mean_sd`] over seeds;
//! - [`evaluate`] / [`evaluate_classes`]: all of it as one serialisable report.
//!
//! Metrics only: scores and labels in, numbers out; no model or detector. The MIT-BIH study,
//! which fits detectors and judges them with these metrics, is [`study`](crate::study).
//!
//! Inputs are checked: empty, mismatched lengths and non-finite scores are errors, and so are
//! labels of one class only wherever ROC or PR are needed. No metric is ever NaN (see
//! [`ConfusionMatrix`] for the zero-division rule).

mod bootstrap;
mod classes;
mod confusion;
mod ranking;
mod report;

pub use bootstrap::{Bootstrap, Interval, bootstrap_draws, bootstrap_groups, mean_sd};
pub use classes::{ClassRecall, class_recall};
pub use confusion::{ConfusionMatrix, Metrics};
pub use ranking::{BestF1, OperatingPoint, Ranking, fit_labelled};
pub use report::{ClassEvaluation, EvaluationConfig, EvaluationReport, evaluate, evaluate_classes};
