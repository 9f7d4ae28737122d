//! The design step: every choice of the study made by cross-validation over whole training
//! records, before the test records are touched.
//!
//! The training records (P2: DS1) are dealt by the seed into [`DesignConfig::folds`] folds.
//! For each fold, every candidate model is fitted on the normal beats of the other records
//! (a fifth of them held out whole to stop training and to fit the context, calibration and
//! threshold: [`Protocol::by_record`]), and scores every beat of the fold's records. Each
//! candidate scoring ([`DesignConfig::scorings`]) is then measured on those beats with the
//! training records' labels. The test records' beats are never loaded, and no label of the
//! fold's records reaches a fit: they only measure. [`DesignResult::chosen`] is the
//! [`DesignRule`]'s pick; [`DesignResult::frozen`] its detector configuration, to be frozen
//! in a file and run on the test records once.

use std::path::Path;
use std::time::Instant;

use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use serde::Serialize;

use super::ablation::{AblationRow, Scored, row};
use super::config::{DesignConfig, DesignRule, StudyConfig, StudyModel};
use super::run::{context_of, spaced};
use crate::data::beat::AamiClass;
use crate::detector::{DetectorConfig, Verdict};
use crate::json::save_json;
use crate::study::mitbih::{Partition, Protocol, load_beats};
use crate::threshold::Threshold;
use crate::{Error, Result};

/// File of the design step's table and choice, in the study's output folder.
pub const DESIGN_JSON: &str = "design.json";
/// File of the chosen detector configuration, in the study's output folder.
pub const CHOSEN_JSON: &str = "chosen_config.json";

/// One candidate's results: a model with a scoring, measured on each fold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesignRow {
    /// The model's name ([`StudyModel::name`]).
    pub model: String,
    /// The scoring's name ([`NamedContext::name`](super::NamedContext::name)).
    pub scoring: String,
    /// ROC-AUC on each fold's records.
    pub roc_auc: Vec<f64>,
    /// Average precision on each fold's records.
    pub average_precision: Vec<f64>,
    /// Share of each fold's normal beats flagged at the threshold fitted on held-out records.
    pub n_flagged: Vec<f64>,
}

impl DesignRow {
    /// Mean ROC-AUC over the folds.
    pub fn mean_roc_auc(&self) -> f64 {
        mean(&self.roc_auc)
    }

    /// Mean average precision over the folds.
    pub fn mean_average_precision(&self) -> f64 {
        mean(&self.average_precision)
    }

    /// Mean share of normal beats flagged over the folds.
    pub fn mean_n_flagged(&self) -> f64 {
        mean(&self.n_flagged)
    }
}

/// What the design step found and chose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesignResult {
    /// The records of each fold.
    pub folds: Vec<Vec<String>>,
    /// Every candidate (model x scoring), in order.
    pub rows: Vec<DesignRow>,
    /// Index into `rows` of the winner.
    pub chosen: usize,
    /// For each model, in [`StudyConfig::models`] order, the index into `rows` of its best
    /// scoring under the same rule.
    pub best_per_model: Vec<usize>,
    /// The rule that chose.
    pub rule: DesignRule,
    /// The most share of normal beats a candidate could flag in any fold.
    pub max_n_flagged: f64,
    /// The winner's detector configuration, as a user fits it (pipeline, model, training,
    /// context; the study's seed).
    pub frozen: DetectorConfig,
    /// Wall-clock seconds of the design step.
    pub seconds: f64,
}

impl DesignResult {
    /// The row chosen.
    pub fn chosen_row(&self) -> &DesignRow {
        &self.rows[self.chosen]
    }

    /// The table as Markdown: one row per candidate, means over the folds and each fold's
    /// ROC-AUC; the chosen row in bold.
    pub fn markdown(&self) -> String {
        let folds = self.folds.len();
        let fold_columns: String = (0..folds).map(|f| format!(" fold {f} AUC |")).collect();
        let mut out = format!(
            "| model | scoring | mean ROC-AUC | mean AP | mean N flagged % | max N flagged % |{fold_columns}\n|{}\n",
            "---|".repeat(6 + folds)
        );
        for (i, r) in self.rows.iter().enumerate() {
            let bold = |s: String| {
                if i == self.chosen {
                    format!("**{s}**")
                } else {
                    s
                }
            };
            let per_fold: String = r.roc_auc.iter().map(|a| format!(" {a:.3} |")).collect();
            let most = r.n_flagged.iter().copied().fold(0.0, f64::max);
            let over = if most > self.max_n_flagged {
                " (over)"
            } else {
                ""
            };
            out += &format!(
                "| {} | {} | {} | {} | {:.1} | {:.1}{over} |{per_fold}\n",
                bold(r.model.clone()),
                bold(r.scoring.clone()),
                bold(format!("{:.3}", r.mean_roc_auc())),
                bold(format!("{:.3}", r.mean_average_precision())),
                100.0 * r.mean_n_flagged(),
                100.0 * most,
            );
        }
        out
    }
}

/// Runs the design step of `config` (its [`design`](StudyConfig::design) settings, or the
/// defaults) on its protocol's training records in `dir`: fits every model on each fold,
/// measures every scoring, picks by the rule. Writes `out/design.json` and the chosen
/// configuration to `out/chosen_config.json`.
///
/// Errors: a protocol that is not by record (P1's folds mix patients, so they cannot be
/// cross-validated by record), bad settings, unreadable records, a failed fit.
pub fn run_design(
    config: &StudyConfig,
    dir: &Path,
    out: &Path,
    device: &Device,
) -> Result<DesignResult> {
    let started = Instant::now();
    config.validate()?;
    let design = config.design.clone().unwrap_or_default();
    design.validate()?;
    let protocol = config.protocol()?;
    let Partition::ByRecord { train: records, .. } = &protocol.partition else {
        return Err(Error::invalid(
            "protocol",
            "the design step cross-validates whole records: it needs an inter-patient protocol",
        ));
    };
    if design.folds > records.len() && !config.quick {
        let msg = format!("{} folds of {} records", design.folds, records.len());
        return Err(Error::invalid("design.folds", msg));
    }
    // Only the training records are read: the test records cannot influence anything here.
    let names: Vec<&str> = records.iter().map(String::as_str).collect();
    let loaded = load_beats(dir, &names, &protocol.beats)?.beats;
    // A quick check has three training records: three folds of one.
    let folds = deal(records, design.folds.min(records.len()), config.seed);
    let (study_max, _) = config.limits();
    let max_train = design
        .max_train_beats
        .map_or(study_max, |n| n.min(study_max));

    let mut rows: Vec<DesignRow> = Vec::new();
    for (f, held) in folds.iter().enumerate() {
        let rest: Vec<String> = records
            .iter()
            .filter(|r| !held.contains(r))
            .cloned()
            .collect();
        let mut fold_protocol = Protocol::by_record(rest, held.clone(), config.seed);
        fold_protocol.beats = protocol.beats.clone();
        let split = fold_protocol.split(&loaded)?;
        let pick = |pool: &[usize], max: usize| -> Vec<usize> {
            spaced(pool.len(), max)
                .into_iter()
                .map(|k| pool[k])
                .collect()
        };
        let train = loaded.select(&pick(&split.train, max_train))?;
        let valid = loaded.select(&pick(&split.validation, (max_train / 4).max(2)))?;
        let tested = loaded.select(&split.test)?;
        let classes: Vec<AamiClass> = tested.beats().iter().map(|b| b.class).collect();
        let (valid_context, tested_context) = (context_of(&valid)?, context_of(&tested)?);
        let everything: Vec<usize> = (0..tested.count()).collect();
        for (m, model) in config.models.iter().enumerate() {
            let detector = config
                .detector(model, &fold_protocol)?
                .fit_split(&train, &valid, device)?;
            let model_scores = |v: Vec<Verdict>| v.iter().map(|v| v.model_score).collect();
            let valid_scores: Vec<f64> = model_scores(detector.detect(&valid)?);
            let tested_scores: Vec<f64> = model_scores(detector.detect(&tested)?);
            let scored = Scored {
                valid: &valid_scores,
                valid_context: &valid_context,
                whole: &tested_scores,
                whole_context: &tested_context,
                test: &everything,
            };
            let rule = model.detector.threshold;
            for (s, scoring) in design.scorings.iter().enumerate() {
                let (scores, threshold) = scored.in_context(scoring.context, rule)?;
                let (auc, ap, flagged) = measure(&scores, &classes, &threshold)?;
                let index = m * design.scorings.len() + s;
                if f == 0 {
                    rows.push(DesignRow {
                        model: model.name.clone(),
                        scoring: scoring.name.clone(),
                        roc_auc: Vec::new(),
                        average_precision: Vec::new(),
                        n_flagged: Vec::new(),
                    });
                }
                let row = &mut rows[index];
                row.roc_auc.push(auc);
                row.average_precision.push(ap);
                row.n_flagged.push(flagged);
            }
            // Progress of a long step, on stderr as the trainer's epochs are.
            eprintln!(
                "design: fold {f} of {} ({} records held out), {} fitted in {} epochs",
                folds.len(),
                held.len(),
                model.name,
                detector.history().map_or(0, |h| h.epochs.len())
            );
        }
    }
    let best_among = |candidates: &[usize]| {
        let calibrated: Vec<usize> = (candidates.iter().copied())
            .filter(|&i| rows[i].n_flagged.iter().all(|&n| n <= design.max_n_flagged))
            .collect();
        let pool = if calibrated.is_empty() {
            candidates
        } else {
            &calibrated[..]
        };
        choose(&rows, pool, design.rule)
    };
    let chosen = best_among(&(0..rows.len()).collect::<Vec<_>>());
    let per_model = design.scorings.len();
    let best_per_model = (0..config.models.len())
        .map(|m| best_among(&(m * per_model..(m + 1) * per_model).collect::<Vec<_>>()))
        .collect();
    let frozen = chosen_config(config, &protocol, &design, chosen)?;
    let result = DesignResult {
        folds,
        rows,
        chosen,
        best_per_model,
        rule: design.rule,
        max_n_flagged: design.max_n_flagged,
        frozen,
        seconds: started.elapsed().as_secs_f64(),
    };
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    save_json(&result, &out.join(DESIGN_JSON))?;
    result.frozen.save_json(out.join(CHOSEN_JSON))?;
    Ok(result)
}

/// The study's models with each one's scoring replaced by its best in `design` (the models
/// fitted on the test records after the design step).
pub fn with_chosen_scorings(config: &StudyConfig, design: &DesignResult) -> Result<StudyConfig> {
    let mut chosen = config.clone();
    let scorings = config.design.clone().unwrap_or_default().scorings;
    for (model, &row) in chosen.models.iter_mut().zip(&design.best_per_model) {
        let name = &design.rows[row].scoring;
        let Some(scoring) = scorings.iter().find(|s| &s.name == name) else {
            return Err(Error::invalid(
                "design",
                format!("no scoring named {name:?}"),
            ));
        };
        model.detector.context = scoring.context;
    }
    Ok(chosen)
}

/// The chosen candidate as a detector configuration a user fits: the study's settings for its
/// model (pipeline, lead, seed) and the chosen scoring.
fn chosen_config(
    config: &StudyConfig,
    protocol: &Protocol,
    design: &DesignConfig,
    chosen: usize,
) -> Result<DetectorConfig> {
    let per_model = design.scorings.len();
    let model: &StudyModel = &config.models[chosen / per_model];
    let mut frozen = config.detector(model, protocol)?;
    frozen.context = design.scorings[chosen % per_model].context;
    // The lead names the user's recording, not a choice.
    frozen.lead = None;
    frozen.validate()?;
    Ok(frozen)
}

/// The index in `candidates` (indices into `rows`) that `rule` prefers.
fn choose(rows: &[DesignRow], candidates: &[usize], rule: DesignRule) -> usize {
    let key = |i: usize| match rule {
        DesignRule::MeanRocAuc => (rows[i].mean_roc_auc(), rows[i].mean_average_precision()),
        DesignRule::MeanAveragePrecision => (rows[i].mean_average_precision(), 0.0),
    };
    let mut best = candidates[0];
    for &i in &candidates[1..] {
        let ((a, a2), (b, b2)) = (key(i), key(best));
        let tie = rule == DesignRule::MeanRocAuc && (a - b).abs() <= 0.001;
        if (!tie && a > b) || (tie && a2 > b2) {
            best = i;
        }
    }
    best
}

/// ROC-AUC, average precision and the share of normal beats flagged at `threshold` of
/// `scores` against `classes` (anomalous = not N): the ablation's [`row`] in brief.
fn measure(
    scores: &[f64],
    classes: &[AamiClass],
    threshold: &Threshold,
) -> Result<(f64, f64, f64)> {
    let r = row("", "", scores, classes, threshold)?;
    let flagged = AblationRow::recall(&r.at_threshold, AamiClass::N).unwrap_or(0.0);
    Ok((r.roc_auc, r.average_precision, flagged))
}

/// `records` shuffled by `seed` and dealt into `folds` folds of near-equal size.
fn deal(records: &[String], folds: usize, seed: u64) -> Vec<Vec<String>> {
    let mut shuffled = records.to_vec();
    shuffled.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
    let mut dealt = vec![Vec::new(); folds];
    for (i, r) in shuffled.into_iter().enumerate() {
        dealt[i % folds].push(r);
    }
    dealt
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(auc: &[f64], ap: &[f64]) -> DesignRow {
        DesignRow {
            model: "m".into(),
            scoring: "s".into(),
            roc_auc: auc.to_vec(),
            average_precision: ap.to_vec(),
            n_flagged: vec![0.05; auc.len()],
        }
    }

    #[test]
    fn the_rule_takes_the_best_mean_and_breaks_ties_by_average_precision() {
        let rows = [
            row(&[0.90, 0.80], &[0.5, 0.5]),
            row(&[0.86, 0.86], &[0.6, 0.6]),
            row(&[0.9005, 0.80], &[0.7, 0.7]),
        ];
        // 0.850 vs 0.860 vs 0.85025: the second wins on AUC.
        assert_eq!(choose(&rows, &[0, 1, 2], DesignRule::MeanRocAuc), 1);
        // Among the first and third (a tie within 0.001), the higher AP.
        assert_eq!(choose(&rows, &[0, 2], DesignRule::MeanRocAuc), 2);
        assert_eq!(choose(&rows, &[2, 0], DesignRule::MeanRocAuc), 2);
        assert_eq!(
            choose(&rows, &[0, 1, 2], DesignRule::MeanAveragePrecision),
            2
        );
    }

    #[test]
    fn folds_deal_every_record_once_and_depend_on_the_seed_only() {
        let records: Vec<String> = (100..122).map(|r| r.to_string()).collect();
        let folds = deal(&records, 4, 42);
        assert_eq!(folds.iter().map(Vec::len).collect::<Vec<_>>(), [6, 6, 5, 5]);
        let mut all: Vec<String> = folds.concat();
        all.sort();
        assert_eq!(all, records);
        assert_eq!(deal(&records, 4, 42), folds);
        assert_ne!(deal(&records, 4, 43), folds);
    }

    #[test]
    fn measure_counts_flagged_normal_beats_only() {
        use AamiClass::{N, S, V};
        let scores = [0.1, 0.2, 0.9, 0.3, 0.8, 0.95];
        let classes = [N, N, N, N, S, V];
        let threshold = Threshold {
            value: 0.5,
            method: crate::threshold::ThresholdMethod::Fixed { value: 0.5 },
        };
        let (auc, ap, flagged) = measure(&scores, &classes, &threshold).unwrap();
        assert_eq!(flagged, 0.25);
        assert!((auc - 0.875).abs() < 1e-12, "{auc}");
        assert!(ap > 0.5 && ap <= 1.0, "{ap}");
    }

    /// `examples/studies/p2_design_choice.json` is the configuration the P2 design step froze
    /// on 2026-12-07 (README, "P2 by the clean protocol"): the ConvVae, shape + rhythm (mean)
    /// against the recording's median. It still loads and validates, and it is what
    /// `chosen_config` builds from the study's defaults for that candidate.
    #[test]
    fn the_frozen_p2_choice_loads_and_is_the_studys_convvae_with_that_scoring() {
        let frozen: DetectorConfig =
            serde_json::from_str(include_str!("../../examples/studies/p2_design_choice.json"))
                .unwrap();
        frozen.validate().unwrap();
        let config = StudyConfig {
            protocol: super::super::StudyProtocol::InterPatient,
            ..StudyConfig::default()
        };
        let design = DesignConfig::default();
        let scoring = (design.scorings.iter())
            .position(|s| s.name == "shape + rhythm (mean), record median")
            .unwrap();
        let chosen = design.scorings.len() + scoring; // the second model, the ConvVae
        let built = chosen_config(&config, &config.protocol().unwrap(), &design, chosen).unwrap();
        assert_eq!(built, frozen);
    }
}
