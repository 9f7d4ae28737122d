//! The anomaly threshold on scores: rules to choose it ([`ThresholdMethod`]), fitting apart from
//! applying, and a JSON file so it can be re-chosen without retraining.
//!
//! A score is anomalous when `score > value`. Unlabelled rules look at normal (training or
//! validation) scores only; [`ThresholdMethod::LabelledBestF1`] needs labels and is fitted by
//! the evaluation layer, [`evaluate::fit_labelled`](crate::evaluate::fit_labelled), from the
//! same ranking its metrics use.

mod quantile;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::input::check_scores;
use crate::json::{load_json, save_json};
use crate::{Error, Result};

/// How a [`Threshold`] is chosen. Serialises as `{"kind": "percentile", "q": 95.0}` etc.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ThresholdMethod {
    /// The `q`-th percentile (`0 <= q <= 100`) of the scores, numpy's default linear
    /// interpolation (`np.percentile(scores, q)`). The default, with `q = 95`.
    Percentile {
        /// Percentile in `[0, 100]`.
        q: f64,
    },
    /// `mean + k * std` of the scores (population std, divisor `n`); `k` finite.
    MeanStd {
        /// Number of standard deviations above the mean.
        k: f64,
    },
    /// A given value; the scores are not looked at (they may be empty).
    Fixed {
        /// The threshold, finite.
        value: f64,
    },
    /// The `(1 - fraction)` quantile, numpy-interpolated: about `fraction` of the fitted scores
    /// lie above it. `0 <= fraction <= 1`.
    Contamination {
        /// Expected share of anomalies among the scores.
        fraction: f64,
    },
    /// The cut with the best F1 on labelled scores (see
    /// [`Ranking::best_f1`](crate::evaluate::Ranking::best_f1)); only through
    /// [`evaluate::fit_labelled`](crate::evaluate::fit_labelled).
    LabelledBestF1,
}

impl Default for ThresholdMethod {
    fn default() -> Self {
        ThresholdMethod::Percentile { q: 95.0 }
    }
}

impl std::fmt::Display for ThresholdMethod {
    /// `95th percentile`, `mean + 3 std`, `fixed`, `contamination 0.05`, `best F1 on labels`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            ThresholdMethod::Percentile { q } => {
                let suffix = match (q.fract() == 0.0, q as u64 % 100) {
                    (true, 11..=13) | (false, _) => "th",
                    (true, n) => match n % 10 {
                        1 => "st",
                        2 => "nd",
                        3 => "rd",
                        _ => "th",
                    },
                };
                write!(f, "{q}{suffix} percentile")
            }
            ThresholdMethod::MeanStd { k } => write!(f, "mean + {k} std"),
            ThresholdMethod::Fixed { .. } => f.write_str("fixed"),
            ThresholdMethod::Contamination { fraction } => write!(f, "contamination {fraction}"),
            ThresholdMethod::LabelledBestF1 => f.write_str("best F1 on labels"),
        }
    }
}

impl ThresholdMethod {
    /// Errors on a parameter out of range or not finite.
    pub fn validate(&self) -> Result<()> {
        let (name, value, ok) = match *self {
            ThresholdMethod::Percentile { q } => ("q", q, (0.0..=100.0).contains(&q)),
            ThresholdMethod::MeanStd { k } => ("k", k, k.is_finite()),
            ThresholdMethod::Fixed { value } => ("value", value, value.is_finite()),
            ThresholdMethod::Contamination { fraction } => {
                ("fraction", fraction, (0.0..=1.0).contains(&fraction))
            }
            ThresholdMethod::LabelledBestF1 => return Ok(()),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::invalid(name, format!("{value} is out of range")))
        }
    }
}

/// A fitted threshold: `score > value` is anomalous.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// Scores above this value are anomalies.
    pub value: f64,
    /// How the value was chosen.
    pub method: ThresholdMethod,
}

impl Threshold {
    /// Fits `method` on `scores` (higher = more anomalous). Errors on an invalid parameter, on
    /// empty scores or a non-finite score (naming its index; not for `Fixed`), and for
    /// [`ThresholdMethod::LabelledBestF1`], which needs
    /// [`evaluate::fit_labelled`](crate::evaluate::fit_labelled).
    pub fn fit(method: ThresholdMethod, scores: &[f64]) -> Result<Threshold> {
        method.validate()?;
        let value = match method {
            ThresholdMethod::Fixed { value } => value,
            ThresholdMethod::LabelledBestF1 => {
                let msg = "needs labels: use evaluate::fit_labelled";
                return Err(Error::invalid("method", msg));
            }
            ThresholdMethod::Percentile { q } => {
                check_scores(scores)?;
                quantile::quantile(scores, q / 100.0)
            }
            ThresholdMethod::Contamination { fraction } => {
                check_scores(scores)?;
                quantile::quantile(scores, 1.0 - fraction)
            }
            ThresholdMethod::MeanStd { k } => {
                check_scores(scores)?;
                let (mean, std) = quantile::mean_std(scores);
                mean + k * std
            }
        };
        if !value.is_finite() {
            return Err(Error::invalid("scores", "the threshold overflows f64"));
        }
        Ok(Threshold { value, method })
    }

    /// Whether `score` is anomalous: `score > value` (so a NaN score is not flagged).
    pub fn apply(&self, score: f64) -> bool {
        score > self.value
    }

    /// [`apply`](Self::apply) to each score.
    pub fn flag(&self, scores: &[f64]) -> Vec<bool> {
        scores.iter().map(|&s| self.apply(s)).collect()
    }

    /// Writes the threshold as JSON (the value survives bit for bit). Errors name the file.
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()> {
        save_json(self, path.as_ref())
    }

    /// Reads a threshold written by [`save_json`](Self::save_json), checking its method's
    /// parameters and that the value is finite. Errors name the file.
    pub fn load_json(path: impl AsRef<Path>) -> Result<Threshold> {
        let path = path.as_ref();
        let threshold: Threshold = load_json(path)?;
        let bad = |message: String| Error::Artifact {
            path: path.into(),
            message,
        };
        threshold
            .method
            .validate()
            .map_err(|e| bad(e.to_string()))?;
        if !threshold.value.is_finite() {
            return Err(bad(format!("threshold {} is not finite", threshold.value)));
        }
        Ok(threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_read_as_words() {
        let shown = |m: ThresholdMethod| m.to_string();
        assert_eq!(shown(ThresholdMethod::default()), "95th percentile");
        assert_eq!(
            shown(ThresholdMethod::Percentile { q: 99.5 }),
            "99.5th percentile"
        );
        assert_eq!(
            shown(ThresholdMethod::Percentile { q: 91.0 }),
            "91st percentile"
        );
        assert_eq!(
            shown(ThresholdMethod::Percentile { q: 12.0 }),
            "12th percentile"
        );
        assert_eq!(shown(ThresholdMethod::MeanStd { k: 3.0 }), "mean + 3 std");
        assert_eq!(shown(ThresholdMethod::Fixed { value: 0.2 }), "fixed");
        assert_eq!(
            shown(ThresholdMethod::Contamination { fraction: 0.05 }),
            "contamination 0.05"
        );
        assert_eq!(shown(ThresholdMethod::LabelledBestF1), "best F1 on labels");
    }
}
