//! Several scores combined: each member's score is put on a common scale by statistics of its
//! scores on normal validation beats, then the members are averaged.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{AnomalyScore, AnyScore, BatchScores, Calibration};
use crate::model::Reconstruction;
use crate::{Error, Result};

/// How member scores are put on one scale before averaging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnsembleMethod {
    /// The fraction of normal validation scores strictly below each member's score (its
    /// [`Calibration`]), averaged: robust to heavy tails and scale. The default.
    #[default]
    RankMean,
    /// `(score - mean) / std` with the normal scores' mean and sample standard deviation,
    /// averaged: keeps how far beyond the normal range a score is.
    ZScoreMean,
}

/// A member score with the statistics of its normal validation scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Member {
    score: AnyScore,
    calibration: Calibration,
    mean: f64,
    std: f64,
}

/// Scores combined by [`EnsembleMethod`], fitted by [`Ensemble::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ensemble {
    method: EnsembleMethod,
    members: Vec<Member>,
}

impl Ensemble {
    /// Checks a loaded value: at least one member, each valid, with a valid calibration and a
    /// finite mean and positive standard deviation; the message says which member is wrong.
    pub fn validate(&self, seq: usize) -> std::result::Result<(), String> {
        if self.members.is_empty() {
            return Err("ensemble: no member".into());
        }
        for (i, m) in self.members.iter().enumerate() {
            m.score
                .validate(seq)
                .map_err(|e| format!("ensemble member {i}: {e}"))?;
            m.calibration
                .check()
                .map_err(|e| format!("ensemble member {i}: {e}"))?;
            if !(m.mean.is_finite() && m.std.is_finite() && m.std > 0.0) {
                return Err(format!(
                    "ensemble member {i}: mean {} and std {} must be finite, std > 0",
                    m.mean, m.std
                ));
            }
        }
        Ok(())
    }

    /// Fits the normalisation of each member on `normal_scores[i]`, member `i`'s scores on
    /// normal validation beats (at least 2, finite, not all equal).
    pub fn fit(
        members: Vec<AnyScore>,
        normal_scores: &[Vec<f64>],
        method: EnsembleMethod,
    ) -> Result<Self> {
        if members.is_empty() || members.len() != normal_scores.len() {
            return Err(Error::invalid(
                "normal_scores",
                format!(
                    "{} members need as many (>= 1) score lists, got {}",
                    members.len(),
                    normal_scores.len()
                ),
            ));
        }
        let members = members
            .into_iter()
            .zip(normal_scores)
            .map(|(score, normal)| {
                let calibration = Calibration::fit(normal)?;
                let n = normal.len() as f64;
                let mean = normal.iter().sum::<f64>() / n;
                let var = normal.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0);
                let std = var.sqrt();
                if normal.len() < 2 || std.is_nan() || std == 0.0 {
                    return Err(Error::invalid(
                        "normal_scores",
                        format!(
                            "member `{}` needs at least 2 normal scores that are not all equal",
                            score.name()
                        ),
                    ));
                }
                Ok(Member {
                    score,
                    calibration,
                    mean,
                    std,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self { method, members })
    }

    /// The combining method.
    pub fn method(&self) -> EnsembleMethod {
        self.method
    }

    /// The member scores, in order.
    pub fn members(&self) -> impl Iterator<Item = &AnyScore> {
        self.members.iter().map(|m| &m.score)
    }

    /// Combines raw member scores, `member_scores[i][w]` being member `i`'s score of window `w`,
    /// into one score per window.
    pub fn combine(&self, member_scores: &[Vec<f64>]) -> Result<Vec<f64>> {
        let windows = member_scores.first().map_or(0, Vec::len);
        if member_scores.len() != self.members.len()
            || member_scores.iter().any(|s| s.len() != windows)
        {
            return Err(Error::invalid(
                "member_scores",
                format!(
                    "need {} equally long score lists, one per member",
                    self.members.len()
                ),
            ));
        }
        let mut combined = vec![0.0; windows];
        for (member, scores) in self.members.iter().zip(member_scores) {
            for (total, &s) in combined.iter_mut().zip(scores) {
                *total += match self.method {
                    EnsembleMethod::RankMean => member.calibration.calibrate(s),
                    EnsembleMethod::ZScoreMean => (s - member.mean) / member.std,
                };
            }
        }
        let k = self.members.len() as f64;
        combined.iter_mut().for_each(|c| *c /= k);
        Ok(combined)
    }
}

impl AnomalyScore for Ensemble {
    fn name(&self) -> &str {
        match self.method {
            EnsembleMethod::RankMean => "ensemble_rank_mean",
            EnsembleMethod::ZScoreMean => "ensemble_z_score_mean",
        }
    }

    /// The combined score; error map: the mean of the members' maps.
    fn score(&self, input: &Tensor<3>, rec: &Reconstruction) -> Result<BatchScores> {
        let mut scores = Vec::with_capacity(self.members.len());
        let mut maps: Vec<Tensor<2>> = Vec::new();
        for member in &self.members {
            let batch = member.score.score(input, rec)?;
            scores.push(batch.scores);
            maps.extend(batch.error_map);
        }
        let count = maps.len();
        let error_map = maps
            .into_iter()
            .reduce(|a, b| a + b)
            .map(|sum| sum.div_scalar(count as f64));
        Ok(BatchScores {
            scores: self.combine(&scores)?,
            error_map,
        })
    }
}

/// Flags a window when strictly more than half of the score lists flag it
/// (`per_score_flags[i][w]`: score `i` flags window `w`); a tie is not flagged.
pub fn majority_vote(per_score_flags: &[Vec<bool>]) -> Result<Vec<bool>> {
    let Some(first) = per_score_flags.first() else {
        return Err(Error::invalid("per_score_flags", "need at least one list"));
    };
    if per_score_flags.iter().any(|f| f.len() != first.len()) {
        return Err(Error::invalid(
            "per_score_flags",
            "flag lists differ in length",
        ));
    }
    Ok((0..first.len())
        .map(|w| 2 * per_score_flags.iter().filter(|f| f[w]).count() > per_score_flags.len())
        .collect())
}
