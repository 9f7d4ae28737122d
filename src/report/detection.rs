//! [`DetectionReport`]: a detector's scores on some inputs, with their reference beat classes
//! when there are any, as one [`Report`].

use super::{ConfusionPlot, Figure, PrPlot, Report, RocPlot, ScoreHistogramPlot, Section, Table};
use crate::data::beat::{AamiClass, ClassCounts};
use crate::evaluate::{ConfusionMatrix, EvaluationConfig, class_recall, evaluate_classes};
use crate::threshold::Threshold;
use crate::{Error, Result};

/// The sentence every labelled report carries: what the labels did and did not do.
pub const LABELS_ONLY_MEASURE: &str = "The reference labels only measure the detector here: \
they chose nothing. The model, its weights, the score and the threshold were all fixed when the \
detector was trained on unlabelled beats, before any label was read.";

const SIZE: (u32, u32) = (720, 480);

/// The scores of one input's judged beats and, when it has reference labels, their classes.
#[derive(Debug, Clone, PartialEq)]
pub struct InputScores {
    /// The input's name (a record path, a file).
    pub name: String,
    /// One score per judged beat.
    pub scores: Vec<f64>,
    /// Per judged beat, the class of the reference beat it matched (`None`: it matched none);
    /// `None` for an unlabelled input.
    pub classes: Option<Vec<Option<AamiClass>>>,
    /// Labelled beats that no judged beat matched (never judged).
    pub unmatched_beats: usize,
}

/// A detector's run over some inputs, written as a [`Report`] by [`to_report`](Self::to_report):
/// a table of inputs, then either the evaluation against the reference labels (ROC and PR
/// curves, confusion matrix, metrics, flagged share per AAMI class, score histogram per class)
/// or, without labels, the score histogram. Beats that matched no reference beat are counted
/// but left out of the evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionReport {
    /// Document title.
    pub title: String,
    /// Paragraphs on the data and the detector, first in the report.
    pub about: Vec<String>,
    /// The detector's threshold (`score > value` is flagged).
    pub threshold: Threshold,
    /// The inputs, in order.
    pub inputs: Vec<InputScores>,
}

impl DetectionReport {
    /// A report with no input yet.
    pub fn new(title: impl Into<String>, threshold: Threshold) -> Self {
        DetectionReport {
            title: title.into(),
            about: Vec::new(),
            threshold,
            inputs: Vec::new(),
        }
    }

    /// Adds a paragraph on the data or the detector.
    pub fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.about.push(text.into());
        self
    }

    /// Adds an input; errors when its classes are not one per score or a score is not finite.
    pub fn push(&mut self, input: InputScores) -> Result<()> {
        if let Some(classes) = &input.classes
            && classes.len() != input.scores.len()
        {
            let msg = format!(
                "{}: {} classes for {} scores",
                input.name,
                classes.len(),
                input.scores.len()
            );
            return Err(Error::invalid("classes", msg));
        }
        if let Some(i) = input.scores.iter().position(|s| !s.is_finite()) {
            let msg = format!(
                "{}: score {} of beat {i} is not finite",
                input.name, input.scores[i]
            );
            return Err(Error::invalid("scores", msg));
        }
        self.inputs.push(input);
        Ok(())
    }

    /// True when some input has reference labels.
    pub fn is_labelled(&self) -> bool {
        self.inputs.iter().any(|i| i.classes.is_some())
    }

    /// The scores of the judged beats that matched a reference beat, and those beats' classes.
    pub fn labelled_beats(&self) -> (Vec<f64>, Vec<AamiClass>) {
        let mut scores = Vec::new();
        let mut classes = Vec::new();
        for input in &self.inputs {
            let Some(labels) = &input.classes else {
                continue;
            };
            for (&score, class) in input.scores.iter().zip(labels) {
                if let Some(class) = class {
                    scores.push(score);
                    classes.push(*class);
                }
            }
        }
        (scores, classes)
    }

    /// The report. Errors only on a picture that cannot be drawn.
    pub fn to_report(&self) -> Result<Report> {
        let mut about = Section::new("Data and detector");
        for p in &self.about {
            about = about.paragraph(p.clone());
        }
        about = about.table(self.inputs_table());
        let results = if self.is_labelled() {
            self.labelled_section()?
        } else {
            self.unlabelled_section()?
        };
        Ok(Report::new(self.title.clone())
            .section(about)
            .section(results))
    }

    fn inputs_table(&self) -> Table {
        let labelled = self.is_labelled();
        let mut headers = vec!["input", "beats judged", "flagged", "flagged share"];
        if labelled {
            headers.extend(["matched a labelled beat", "labelled beats not judged"]);
        }
        let mut table = Table::new(headers);
        for input in &self.inputs {
            let n = input.scores.len();
            let flagged = input
                .scores
                .iter()
                .filter(|&&s| self.threshold.apply(s))
                .count();
            let mut row = vec![
                input.name.clone(),
                n.to_string(),
                flagged.to_string(),
                share(flagged, n),
            ];
            if labelled {
                let (matched, missed) = match &input.classes {
                    Some(c) => (
                        c.iter().flatten().count().to_string(),
                        input.unmatched_beats.to_string(),
                    ),
                    None => ("-".to_string(), "-".to_string()),
                };
                row.extend([matched, missed]);
            }
            table = table.row(row);
        }
        table
    }

    fn labelled_section(&self) -> Result<Section> {
        let (scores, classes) = self.labelled_beats();
        let judged: usize = self
            .inputs
            .iter()
            .filter(|i| i.classes.is_some())
            .map(|i| i.scores.len())
            .sum();
        let missed: usize = self.inputs.iter().map(|i| i.unmatched_beats).sum();
        let counts: ClassCounts = classes.iter().copied().collect();
        let t = &self.threshold;
        let mut section = Section::new("Results against the reference labels")
            .paragraph(LABELS_ONLY_MEASURE)
            .paragraph(format!(
                "Threshold: {} ({}), set on held-out normal training beats. A beat is abnormal \
                 when its AAMI class is not N.",
                t.value, t.method
            ))
            .paragraph(format!(
                "{} of {judged} judged beats matched a reference beat ({counts}); the other {} \
                 are left out. {missed} reference beats were never judged.",
                scores.len(),
                judged - scores.len()
            ));
        if scores.is_empty() {
            return Ok(
                section.paragraph("No judged beat matched a reference beat: nothing to measure.")
            );
        }
        let labels: Vec<bool> = classes.iter().map(|c| c.is_abnormal()).collect();
        let flags = t.flag(&scores);
        let two_classes = counts.normal() > 0 && counts.abnormal() > 0;
        let (confusion, recall) = if two_classes {
            let eval =
                evaluate_classes(&scores, &labels, &classes, t, &EvaluationConfig::default())?;
            let e = &eval.report;
            let metrics = Table::new([
                "beats",
                "abnormal",
                "ROC-AUC",
                "AP",
                "recall @ 1% FPR",
                "precision",
                "recall",
                "F1",
                "best F1 (labels)",
            ])
            .row([
                scores.len().to_string(),
                counts.abnormal().to_string(),
                format!("{:.4}", e.roc_auc),
                format!("{:.4}", e.average_precision),
                format!("{:.4}", e.recall_at_fpr.recall),
                format!("{:.4}", e.metrics.precision),
                format!("{:.4}", e.metrics.recall),
                format!("{:.4}", e.metrics.f1),
                format!("{:.4}", e.oracle_best_f1.f1),
            ]);
            let prevalence = e.positives as f64 / (e.positives + e.negatives) as f64;
            let roc = RocPlot::new("ROC of the judged beats").curve(
                "detector",
                e.roc_curve.iter().map(|p| (p.0, p.1)).collect(),
                e.roc_auc,
            );
            let pr = PrPlot::new("Precision-recall of the judged beats")
                .curve(
                    "detector",
                    e.pr_curve.iter().map(|p| (p.0, p.1)).collect(),
                    e.average_precision,
                )
                .prevalence(prevalence);
            section = section
                .paragraph(
                    "The best-F1 column is computed with the labels, over every threshold: an \
                     optimistic bound, not a result.",
                )
                .table(metrics)
                .figure(Figure::render("roc", "ROC curve", &roc, SIZE)?)
                .figure(Figure::render(
                    "pr",
                    "Precision-recall curve; the dashed line is the share of abnormal beats",
                    &pr,
                    SIZE,
                )?);
            (e.confusion, eval.classes)
        } else {
            let only = if counts.abnormal() == 0 {
                "normal"
            } else {
                "abnormal"
            };
            section = section.paragraph(format!(
                "ROC and precision-recall curves need both normal and abnormal beats; these are \
                 all {only}."
            ));
            (
                ConfusionMatrix::from_flags(&flags, &labels)?,
                class_recall(&flags, &classes)?,
            )
        };
        let mut per_class = Table::new(["class", "beats", "flagged", "flagged share"]);
        for c in &recall {
            per_class = per_class.row([
                format!("{:?}", c.class),
                c.n.to_string(),
                c.detected.to_string(),
                format!("{:.4}", c.recall),
            ]);
        }
        let plot = ConfusionPlot::binary(
            "Confusion at the threshold",
            confusion.tn as u64,
            confusion.fp as u64,
            confusion.fn_ as u64,
            confusion.tp as u64,
        );
        let mut histogram = ScoreHistogramPlot::new("Scores by AAMI class")
            .threshold(t.value)
            .normalize(true)
            .log_y(true);
        for class in AamiClass::ALL {
            let of_class: Vec<f64> = (scores.iter().zip(&classes))
                .filter(|(_, c)| **c == class)
                .map(|(s, _)| *s)
                .collect();
            if !of_class.is_empty() {
                histogram = histogram.class(format!("{class:?}"), of_class);
            }
        }
        Ok(section
            .paragraph("Flagged share per AAMI class (for N, the false-alarm rate):")
            .table(per_class)
            .figure(Figure::render(
                "confusion",
                "Confusion matrix",
                &plot,
                (560, 480),
            )?)
            .figure(Figure::render(
                "scores",
                "Score histogram per class (share of each class per bin), threshold dashed",
                &histogram,
                SIZE,
            )?))
    }

    fn unlabelled_section(&self) -> Result<Section> {
        let scores: Vec<f64> = self
            .inputs
            .iter()
            .flat_map(|i| i.scores.iter().copied())
            .collect();
        let flagged = scores.iter().filter(|&&s| self.threshold.apply(s)).count();
        let t = &self.threshold;
        let section = Section::new("Scores").paragraph(format!(
            "No reference labels: {flagged} of {} judged beats ({}) score above the threshold {} \
             ({}), set on held-out normal training beats.",
            scores.len(),
            share(flagged, scores.len()),
            t.value,
            t.method
        ));
        if scores.is_empty() {
            return Ok(section);
        }
        let histogram = ScoreHistogramPlot::new("Scores of the judged beats")
            .class("all beats", scores)
            .threshold(t.value)
            .log_y(true);
        Ok(section.figure(Figure::render(
            "scores",
            "Score histogram, threshold dashed",
            &histogram,
            SIZE,
        )?))
    }
}

/// `k / n` as a percentage with one decimal, `-` when `n` is 0.
fn share(k: usize, n: usize) -> String {
    if n == 0 {
        "-".to_string()
    } else {
        format!("{:.1} %", 100.0 * k as f64 / n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threshold::ThresholdMethod;
    use AamiClass::*;

    fn threshold() -> Threshold {
        Threshold {
            value: 0.5,
            method: ThresholdMethod::default(),
        }
    }

    fn input(name: &str, scores: &[f64], classes: Option<&[Option<AamiClass>]>) -> InputScores {
        InputScores {
            name: name.into(),
            scores: scores.to_vec(),
            classes: classes.map(<[_]>::to_vec),
            unmatched_beats: 1,
        }
    }

    #[test]
    fn labelled_report_measures_matched_beats_only() {
        let mut run = DetectionReport::new("run", threshold()).paragraph("about");
        let classes = [Some(N), Some(N), Some(V), None, Some(S), Some(N)];
        run.push(input(
            "r1",
            &[0.1, 0.2, 0.9, 0.95, 0.6, 0.7],
            Some(&classes),
        ))
        .unwrap();
        let (scores, kept) = run.labelled_beats();
        assert_eq!(scores, [0.1, 0.2, 0.9, 0.6, 0.7]);
        assert_eq!(kept, [N, N, V, S, N]);
        let html = run.to_report().unwrap().to_html().unwrap();
        assert!(html.contains(LABELS_ONLY_MEASURE), "the sentence is there");
        assert!(
            html.contains("<td>r1</td><td>6</td><td>4</td><td>66.7 %</td><td>5</td><td>1</td>")
        );
        assert!(
            html.contains("<td>N</td><td>3</td><td>1</td><td>0.3333</td>"),
            "N row"
        );
        assert!(
            html.contains("<td>V</td><td>1</td><td>1</td><td>1.0000</td>"),
            "V row"
        );
        assert!(
            html.contains("ROC-AUC") && html.contains("<svg"),
            "curves drawn"
        );
    }

    #[test]
    fn one_class_only_skips_the_curves_and_no_labels_gives_the_histogram() {
        let mut normal = DetectionReport::new("run", threshold());
        normal
            .push(input("r", &[0.1, 0.7], Some(&[Some(N), Some(N)])))
            .unwrap();
        let html = normal.to_report().unwrap().to_html().unwrap();
        assert!(
            html.contains("all normal") && !html.contains("ROC-AUC"),
            "no curves"
        );
        assert!(html.contains("<td>N</td><td>2</td><td>1</td><td>0.5000</td>"));

        let mut plain = DetectionReport::new("run", threshold());
        plain.push(input("a.csv", &[0.1, 0.7, 0.8], None)).unwrap();
        assert!(!plain.is_labelled());
        let html = plain.to_report().unwrap().to_html().unwrap();
        assert!(
            html.contains("No reference labels: 2 of 3 judged beats"),
            "{html}"
        );
        assert!(!html.contains(LABELS_ONLY_MEASURE));
    }

    #[test]
    fn push_checks_lengths_and_scores() {
        let mut run = DetectionReport::new("run", threshold());
        assert!(run.push(input("r", &[0.1], Some(&[]))).is_err());
        assert!(run.push(input("r", &[f64::NAN], None)).is_err());
        assert!(run.inputs.is_empty());
    }
}
