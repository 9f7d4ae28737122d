//! The study's noise robustness: the test recordings' beats with recorded-style noise
//! ([`StressNoise`]) at fixed SNRs, scored by the detectors fitted on clean beats.

use serde::{Deserialize, Serialize};

use super::table::markdown_table;
use crate::Result;
use crate::augment::{StressNoise, augment_batch_par};
use crate::evaluate::Ranking;
use crate::study::mitbih::BeatSet;

/// One detector on the test beats at one noise level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseRow {
    /// The model.
    pub model: String,
    /// The SNR in dB; `None` for the clean beats.
    pub snr_db: Option<f64>,
    /// ROC-AUC on the test beats.
    pub roc_auc: f64,
    /// Average precision on the test beats.
    pub average_precision: f64,
    /// Share of the normal test beats flagged at the detector's (clean) threshold.
    pub normal_flagged: f64,
}

impl NoiseRow {
    /// Measures `scores` of the test beats against `labels` (true = abnormal) and `flags`.
    pub fn measure(
        model: &str,
        snr_db: Option<f64>,
        scores: &[f64],
        labels: &[bool],
        flags: &[bool],
    ) -> Result<Self> {
        let ranking = Ranking::new(scores, labels)?;
        let normal = labels.iter().filter(|&&l| !l).count().max(1);
        let false_alarms = (labels.iter().zip(flags))
            .filter(|&(&l, &f)| !l && f)
            .count();
        Ok(Self {
            model: model.into(),
            snr_db,
            roc_auc: ranking.roc_auc(),
            average_precision: ranking.average_precision(),
            normal_flagged: false_alarms as f64 / normal as f64,
        })
    }
}

/// A copy of `beats` with [`StressNoise`] at `snr_db` added to every beat (sampled at `fs`),
/// beat `i` drawing from a stream seeded by `(seed, i)`.
pub fn with_noise(beats: &BeatSet, fs: f64, snr_db: f64, seed: u64) -> Result<BeatSet> {
    let noise = StressNoise::new(fs, snr_db as f32)?;
    let (mut data, infos) = beats.clone().into_parts();
    augment_batch_par(&noise, &mut data, beats.beat_len(), seed)?;
    BeatSet::from_parts(beats.window(), data, infos)
}

/// Column names of the noise table ([`NoiseRow::table_row`]).
pub(crate) const NOISE_COLUMNS: [&str; 5] = ["model", "noise", "ROC-AUC", "AP", "N flagged %"];

impl NoiseRow {
    /// The row of the noise table ([`NOISE_COLUMNS`]): the model, the level (`clean`, `6 dB`),
    /// ROC-AUC and AP with `digits` decimals, the normal beats flagged in percent.
    pub(crate) fn table_row(&self, digits: usize) -> [String; 5] {
        [
            self.model.clone(),
            self.snr_db.map_or("clean".into(), |db| format!("{db} dB")),
            format!("{:.digits$}", self.roc_auc),
            format!("{:.digits$}", self.average_precision),
            format!("{:.1}", 100.0 * self.normal_flagged),
        ]
    }
}

/// The rows as a Markdown table, one row per detector and noise level.
pub fn noise_markdown(rows: &[NoiseRow]) -> String {
    markdown_table(&NOISE_COLUMNS, rows.iter().map(|r| r.table_row(3)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_measure_false_alarms_and_the_table_names_each_level() {
        let labels = [false, false, false, true];
        let row = NoiseRow::measure(
            "m",
            Some(6.0),
            &[0.1, 0.2, 0.9, 0.8],
            &labels,
            &[false, false, true, true],
        )
        .unwrap();
        assert!((row.normal_flagged - 1.0 / 3.0).abs() < 1e-12);
        assert!((row.roc_auc - 2.0 / 3.0).abs() < 1e-12);
        let clean = NoiseRow {
            snr_db: None,
            ..row.clone()
        };
        let table = noise_markdown(&[clean, row]);
        assert!(table.contains("| m | clean |") && table.contains("| m | 6 dB | 0.667 |"));
    }
}
