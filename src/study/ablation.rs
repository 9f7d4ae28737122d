//! The study's ablation: each scoring lever on and off, from one fitted model.
//!
//! Putting a score in context ([`ContextScore`]) needs no retraining, so every row of the
//! table below comes from the same model's scores of the same beats: the model's score alone,
//! judged against its own recording, fused with the rhythm, and so on. Each row's threshold is
//! fitted on the normal validation beats' scores under the same rule; the test labels only
//! measure.

use serde::Serialize;

use super::table::markdown_table;
use crate::Result;
use crate::data::beat::AamiClass;
use crate::evaluate::{ClassRecall, Ranking, class_recall};
use crate::score::{BeatContext, ContextConfig, ContextScore, Fusion, Reference};
use crate::threshold::{Threshold, ThresholdMethod};

/// Beats in the running reference of the ablation's stream row (about 5 minutes of a resting
/// heart).
pub const RUNNING_BEATS: usize = 300;

/// The ablation's rows for one model, in order: the name and the context.
pub fn variants() -> Vec<(&'static str, ContextConfig)> {
    let context = |rhythm, template, reference, fusion| ContextConfig {
        rhythm,
        template,
        reference,
        fusion,
    };
    let running = Reference::Running {
        beats: RUNNING_BEATS,
    };
    use Fusion::{Max, Mean};
    use Reference::{Normal, Record, RecordMedian};
    vec![
        ("shape", context(false, false, Normal, Mean)),
        ("shape, per record", context(false, false, Record, Mean)),
        (
            "shape, record median",
            context(false, false, RecordMedian, Mean),
        ),
        ("shape + rhythm (mean)", context(true, false, Normal, Mean)),
        ("shape + rhythm (max)", context(true, false, Normal, Max)),
        (
            "shape + rhythm (mean), per record",
            context(true, false, Record, Mean),
        ),
        (
            "shape + rhythm (mean), record median",
            context(true, false, RecordMedian, Mean),
        ),
        (
            "shape + rhythm (mean), running",
            context(true, false, running, Mean),
        ),
        (
            "shape + template (mean)",
            context(false, true, Normal, Mean),
        ),
        (
            "shape + rhythm + template (mean)",
            context(true, true, Normal, Mean),
        ),
        (
            "shape + rhythm + template (max)",
            context(true, true, Normal, Max),
        ),
    ]
}

/// One row of the ablation table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AblationRow {
    /// The model (`"none"` for the rhythm alone).
    pub model: String,
    /// Which levers are on (see [`variants`]).
    pub variant: String,
    /// ROC-AUC on the test beats.
    pub roc_auc: f64,
    /// Average precision on the test beats.
    pub average_precision: f64,
    /// Flagged share of each class at the threshold fitted on normal validation beats (for N,
    /// the false-alarm rate on a new patient in P2).
    pub at_threshold: Vec<ClassRecall<AamiClass>>,
    /// Flagged share of each class where 1 % of the normal test beats are flagged.
    pub at_1_percent: Vec<ClassRecall<AamiClass>>,
    /// Flagged share of each class where 5 % of the normal test beats are flagged.
    pub at_5_percent: Vec<ClassRecall<AamiClass>>,
}

/// Model scores and context of the normal validation beats and of the beats tested (the test
/// beats are `whole[test]`: whole recordings, so that a recording is its own reference).
pub struct Scored<'a> {
    /// Model scores of the validation beats.
    pub valid: &'a [f64],
    /// Their context.
    pub valid_context: &'a [BeatContext],
    /// Model scores of every beat of the test recordings.
    pub whole: &'a [f64],
    /// Their context.
    pub whole_context: &'a [BeatContext],
    /// Indices of the test beats in `whole`.
    pub test: &'a [usize],
}

impl Scored<'_> {
    /// The test beats' scores in `context` and the threshold `rule` fitted on the validation
    /// beats' scores in the same context.
    pub fn in_context(
        &self,
        context: ContextConfig,
        rule: ThresholdMethod,
    ) -> Result<(Vec<f64>, Threshold)> {
        let fitted = ContextScore::fit(context, self.valid, Some(self.valid_context))?;
        let valid = fitted.apply(self.valid, Some(self.valid_context))?;
        let whole = fitted.apply(self.whole, Some(self.whole_context))?;
        let test = self.test.iter().map(|&i| whole[i]).collect();
        Ok((test, Threshold::fit(rule, &valid)?))
    }

    /// The same beats with every model score replaced by 1: with the shape component constant,
    /// the score in context ranks beats by the other components (rhythm, template) alone.
    pub fn rhythm_only(valid: &[f64], whole: &[f64]) -> (Vec<f64>, Vec<f64>) {
        (vec![1.0; valid.len()], vec![1.0; whole.len()])
    }
}

/// One row: `scores` of the test beats measured against their `classes` (anomalous = not N).
pub fn row(
    model: &str,
    variant: &str,
    scores: &[f64],
    classes: &[AamiClass],
    threshold: &Threshold,
) -> Result<AblationRow> {
    let labels: Vec<bool> = classes.iter().map(|c| c.is_abnormal()).collect();
    let ranking = Ranking::new(scores, &labels)?;
    let flags: Vec<bool> = scores.iter().map(|&s| threshold.apply(s)).collect();
    Ok(AblationRow {
        model: model.into(),
        variant: variant.into(),
        roc_auc: ranking.roc_auc(),
        average_precision: ranking.average_precision(),
        at_threshold: class_recall(&flags, classes)?,
        at_1_percent: class_recall_at_fpr(&ranking, scores, classes, 0.01)?,
        at_5_percent: class_recall_at_fpr(&ranking, scores, classes, 0.05)?,
    })
}

/// The flagged share of each class where a share `fpr` of the normal beats is flagged
/// (`ranking` is that of `scores` against `classes`).
pub(super) fn class_recall_at_fpr(
    ranking: &Ranking,
    scores: &[f64],
    classes: &[AamiClass],
    fpr: f64,
) -> Result<Vec<ClassRecall<AamiClass>>> {
    let point = ranking.recall_at_fpr(fpr)?;
    let flags: Vec<bool> = scores.iter().map(|&s| s > point.threshold).collect();
    class_recall(&flags, classes)
}

impl AblationRow {
    /// The flagged share of `class` in `recalls`, if present.
    pub fn recall(recalls: &[ClassRecall<AamiClass>], class: AamiClass) -> Option<f64> {
        recalls.iter().find(|c| c.class == class).map(|c| c.recall)
    }

    /// The row's cells after model and scoring: N flagged at the threshold (%), then S / V /
    /// F recall (%) at the threshold, at 1 % and at 5 % of N flagged; AUC and AP with
    /// `digits` decimals.
    pub fn cells(&self, digits: usize) -> [String; 6] {
        use AamiClass::{F, N, S, V};
        let pct = |r: &[ClassRecall<AamiClass>], c| {
            AblationRow::recall(r, c).map_or("-".to_string(), |v| format!("{:.1}", 100.0 * v))
        };
        let svf =
            |r: &[ClassRecall<AamiClass>]| format!("{} / {} / {}", pct(r, S), pct(r, V), pct(r, F));
        [
            format!("{:.digits$}", self.roc_auc),
            format!("{:.digits$}", self.average_precision),
            pct(&self.at_threshold, N),
            svf(&self.at_threshold),
            svf(&self.at_1_percent),
            svf(&self.at_5_percent),
        ]
    }

    /// The whole row of the table ([`ABLATION_COLUMNS`]): model, scoring, then
    /// [`cells`](Self::cells).
    pub(crate) fn table_row(&self, digits: usize) -> impl Iterator<Item = String> {
        [self.model.clone(), self.variant.clone()]
            .into_iter()
            .chain(self.cells(digits))
    }
}

/// Column names of the ablation table.
pub const ABLATION_COLUMNS: [&str; 8] = [
    "model",
    "scoring",
    "ROC-AUC",
    "AP",
    "N flagged %",
    "S / V / F % at threshold",
    "S / V / F % at 1 % N",
    "S / V / F % at 5 % N",
];

/// The rows as a Markdown table ([`ABLATION_COLUMNS`], [`AblationRow::cells`]).
pub fn markdown(rows: &[AblationRow]) -> String {
    markdown_table(&ABLATION_COLUMNS, rows.iter().map(|r| r.table_row(3)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::rr_intervals;

    /// Two recordings of 100 regular beats; in the second, five beats come 30 % early and
    /// are class S, and its normal beats all score twice as high as the first's (another
    /// patient); beats 70..75 are V with a high model score.
    fn beats() -> (Vec<f64>, Vec<BeatContext>, Vec<AamiClass>) {
        let (mut scores, mut context, mut classes) = (Vec::new(), Vec::new(), Vec::new());
        for group in 0..2 {
            let mut peaks: Vec<usize> = (0..100).map(|i| i * 100 + (i * 7) % 3).collect();
            let mut class = vec![AamiClass::N; 100];
            if group == 1 {
                for i in [50, 53, 56, 59, 62] {
                    peaks[i] -= 30;
                    class[i] = AamiClass::S;
                }
                class[70..75].fill(AamiClass::V);
            }
            for (i, rr) in rr_intervals(&peaks, 100.0).unwrap().into_iter().enumerate() {
                let base = if group == 1 { 2.0 } else { 1.0 };
                let v = if class[i] == AamiClass::V { 8.0 } else { 1.0 };
                scores.push(base * v * (1.0 + 0.05 * ((i * 13) % 7) as f64));
                context.push(BeatContext {
                    group,
                    rr: Some(rr),
                    template: None,
                });
            }
            classes.extend(class);
        }
        (scores, context, classes)
    }

    #[test]
    fn context_lifts_the_auc_of_premature_beats_on_a_new_recording() {
        let (scores, context, classes) = beats();
        // Validation: the first recording's beats (all normal).
        let scored = Scored {
            valid: &scores[..100],
            valid_context: &context[..100],
            whole: &scores,
            whole_context: &context,
            test: &(100..200).collect::<Vec<_>>(),
        };
        let test_classes = &classes[100..];
        let rule = ThresholdMethod::Percentile { q: 95.0 };
        let mut rows = Vec::new();
        for (name, variant) in variants() {
            let (test, threshold) = scored.in_context(variant, rule).unwrap();
            rows.push(row("toy", name, &test, test_classes, &threshold).unwrap());
        }
        let auc = |name: &str| rows.iter().find(|r| r.variant == name).unwrap().roc_auc;
        // The raw score misses the S beats (normal shape) and flags the new patient's N beats.
        let plain = &rows[0];
        assert!(AblationRow::recall(&plain.at_threshold, AamiClass::N).unwrap() > 0.5);
        assert!(
            auc("shape + rhythm (mean), per record") > auc("shape") + 0.2,
            "{rows:?}"
        );
        let fused = rows
            .iter()
            .find(|r| r.variant == "shape + rhythm (mean), per record")
            .unwrap();
        assert!(AblationRow::recall(&fused.at_threshold, AamiClass::N).unwrap() < 0.2);
        assert_eq!(
            AblationRow::recall(&fused.at_5_percent, AamiClass::S),
            Some(1.0)
        );
        let table = markdown(&rows);
        assert_eq!(table.lines().count(), 2 + rows.len());
        assert!(
            table.contains("| toy | shape + rhythm (mean), per record |"),
            "{table}"
        );
    }
}
