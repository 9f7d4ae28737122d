//! One study repeated over several seeds: each figure as mean ± sd over the seeds, with a
//! 95 % bootstrap interval over the test records.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use burn::tensor::Device;
use serde::Serialize;

use super::ablation::{AblationRow, class_recall_at_fpr};
use super::config::StudyConfig;
use super::result::StudyResult;
use super::run::run_study;
use crate::data::beat::AamiClass;
use crate::evaluate::{Bootstrap, Interval, Ranking, bootstrap_draws, mean_sd};
use crate::{Error, Result};

/// One model (or the ensemble) over every seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedRow {
    /// The model's name.
    pub model: String,
    /// ROC-AUC of each seed's run.
    pub roc_auc: Vec<f64>,
    /// Average precision of each seed's run.
    pub average_precision: Vec<f64>,
    /// Share of normal test beats flagged at each run's threshold (fitted on normal beats of
    /// held-out training records).
    pub n_flagged: Vec<f64>,
    /// Share of S beats flagged where 1 % of the normal test beats are, per seed.
    pub s_at_1_percent: Vec<f64>,
    /// Share of V beats flagged where 1 % of the normal test beats are, per seed.
    pub v_at_1_percent: Vec<f64>,
    /// Interval of the seeds' mean ROC-AUC over resampled test records.
    pub roc_auc_interval: Interval,
    /// Interval of the seeds' mean average precision over resampled test records.
    pub average_precision_interval: Interval,
}

/// A study run once per seed.
#[derive(Debug, Clone, Serialize)]
pub struct SeedsResult {
    /// The seeds, in the order run.
    pub seeds: Vec<u64>,
    /// One row per model, then the ensemble.
    pub rows: Vec<SeedRow>,
    /// The test records resampled for the intervals.
    pub records: usize,
    /// The bootstrap's settings.
    pub bootstrap: Bootstrap,
    /// The first seed's whole result (its ablation, report and figures).
    #[serde(skip)]
    pub first: StudyResult,
    /// Wall-clock seconds of all runs.
    pub seconds: f64,
}

/// Runs `config` once per seed (each replaces [`StudyConfig::seed`]: folds, validation
/// records and training), writing each run to `out/seed-<seed>/`. The ablation runs with the
/// first seed only. Then gathers each model's figures over the seeds and bootstraps their
/// means over the test records (each resample draws records with replacement and takes every
/// run's beats of the drawn records).
///
/// Errors: no seed, a failed run, runs whose models differ.
pub fn run_seeds(
    config: &StudyConfig,
    seeds: &[u64],
    dir: &Path,
    out: &Path,
    device: &Device,
) -> Result<SeedsResult> {
    let started = std::time::Instant::now();
    if seeds.is_empty() || seeds.len() > 1_000 {
        return Err(Error::invalid(
            "seeds",
            format!("{} seeds: need 1 to 1,000", seeds.len()),
        ));
    }
    let mut runs = Vec::new();
    for (i, &seed) in seeds.iter().enumerate() {
        let run = StudyConfig {
            seed,
            ablation: config.ablation && i == 0,
            ..config.clone()
        };
        let result = run_study(&run, dir, &out.join(format!("seed-{seed}")), device)?;
        eprintln!("{}", result.brief()); // progress of a long run, as the trainer's epochs
        runs.push(result);
    }
    let result = gather(runs, seeds, Bootstrap::default())?;
    Ok(SeedsResult {
        seconds: started.elapsed().as_secs_f64(),
        ..result
    })
}

/// Each model's figures over `runs` (one per seed) and their intervals.
fn gather(runs: Vec<StudyResult>, seeds: &[u64], bootstrap: Bootstrap) -> Result<SeedsResult> {
    let names: Vec<String> = runs[0].models.iter().map(|m| m.name.clone()).collect();
    if runs
        .iter()
        .any(|r| r.models.iter().map(|m| &m.name).ne(names.iter()))
    {
        return Err(Error::invalid("runs", "the runs hold different models"));
    }
    // Test records as groups, numbered once across the runs.
    let mut ids = BTreeMap::new();
    for run in &runs {
        for record in &run.test_records {
            let next = ids.len();
            ids.entry(record.clone()).or_insert(next);
        }
    }
    // For each run, the test beats of each record.
    let by_record: Vec<Vec<Vec<usize>>> = (runs.iter())
        .map(|run| {
            let mut beats = vec![Vec::new(); ids.len()];
            for (i, record) in run.test_records.iter().enumerate() {
                beats[ids[record]].push(i);
            }
            beats
        })
        .collect();
    let mut rows = Vec::new();
    for (m, name) in names.iter().enumerate() {
        let mut row = SeedRow {
            model: name.clone(),
            roc_auc: Vec::new(),
            average_precision: Vec::new(),
            n_flagged: Vec::new(),
            s_at_1_percent: Vec::new(),
            v_at_1_percent: Vec::new(),
            roc_auc_interval: Interval {
                low: 0.0,
                high: 0.0,
                level: 0.0,
            },
            average_precision_interval: Interval {
                low: 0.0,
                high: 0.0,
                level: 0.0,
            },
        };
        for run in &runs {
            let model = &run.models[m];
            let report = &model.evaluation.report;
            row.roc_auc.push(report.roc_auc);
            row.average_precision.push(report.average_precision);
            row.n_flagged
                .push(model.class_recall(AamiClass::N).unwrap_or(0.0));
            let (s, v) = at_one_percent(&model.test_scores, &run.test_classes)?;
            row.s_at_1_percent.push(s);
            row.v_at_1_percent.push(v);
        }
        // The seeds' mean of a metric on the drawn records' beats.
        let over_draws = |metric: fn(&Ranking) -> f64| {
            bootstrap_draws(ids.len(), &bootstrap, |drawn| {
                let mut sum = 0.0;
                for (run, beats) in runs.iter().zip(&by_record) {
                    let items = drawn.iter().flat_map(|&g| beats[g].iter().copied());
                    let (scores, labels): (Vec<f64>, Vec<bool>) = items
                        .map(|i| {
                            (
                                run.models[m].test_scores[i],
                                run.test_classes[i].is_abnormal(),
                            )
                        })
                        .unzip();
                    sum += metric(&Ranking::new(&scores, &labels)?);
                }
                Ok(sum / runs.len() as f64)
            })
        };
        row.roc_auc_interval = over_draws(Ranking::roc_auc)?;
        row.average_precision_interval = over_draws(Ranking::average_precision)?;
        rows.push(row);
    }
    Ok(SeedsResult {
        seeds: seeds.to_vec(),
        rows,
        records: ids.len(),
        bootstrap,
        first: runs
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid("runs", "none"))?,
        seconds: 0.0,
    })
}

/// The shares of S and V beats flagged where 1 % of the N beats are (0 when a class is absent).
fn at_one_percent(scores: &[f64], classes: &[AamiClass]) -> Result<(f64, f64)> {
    let labels: Vec<bool> = classes.iter().map(|c| c.is_abnormal()).collect();
    let ranking = Ranking::new(scores, &labels)?;
    let recalls = class_recall_at_fpr(&ranking, scores, classes, 0.01)?;
    let of = |class| AblationRow::recall(&recalls, class).unwrap_or(0.0);
    Ok((of(AamiClass::S), of(AamiClass::V)))
}

impl fmt::Display for SeedsResult {
    /// The table: each figure as mean ± sd over the seeds, and the 95 % interval over records.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seeds: Vec<String> = self.seeds.iter().map(u64::to_string).collect();
        writeln!(
            f,
            "{} seeds ({}), {:.1} min; intervals: {:.0} % percentile bootstrap over the {} test \
             records ({} resamples)\n",
            self.seeds.len(),
            seeds.join(", "),
            self.seconds / 60.0,
            100.0 * self.bootstrap.level,
            self.records,
            self.bootstrap.resamples
        )?;
        writeln!(
            f,
            "| model | ROC-AUC | 95 % interval | AP | 95 % interval | N flagged % (max) | S % at 1 % N | V % at 1 % N |"
        )?;
        writeln!(f, "|---|---|---|---|---|---|---|---|")?;
        let pm = |v: &[f64], scale: f64, digits: usize| {
            let (m, sd) = mean_sd(v).unwrap_or((f64::NAN, f64::NAN));
            format!("{:.digits$} ± {:.digits$}", scale * m, scale * sd)
        };
        for r in &self.rows {
            let max_flagged = r.n_flagged.iter().copied().fold(0.0, f64::max);
            writeln!(
                f,
                "| {} | {} | {:.3}-{:.3} | {} | {:.3}-{:.3} | {} ({:.1}) | {} | {} |",
                r.model,
                pm(&r.roc_auc, 1.0, 3),
                r.roc_auc_interval.low,
                r.roc_auc_interval.high,
                pm(&r.average_precision, 1.0, 3),
                r.average_precision_interval.low,
                r.average_precision_interval.high,
                pm(&r.n_flagged, 100.0, 1),
                100.0 * max_flagged,
                pm(&r.s_at_1_percent, 100.0, 1),
                pm(&r.v_at_1_percent, 100.0, 1),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::beat::ClassCounts;
    use crate::evaluate::{EvaluationConfig, evaluate_classes};
    use crate::study::{BeatCounts, ModelResult};
    use crate::threshold::{Threshold, ThresholdMethod};

    /// A run whose one model scores beat `i` by `score(i)`; 8 records of 100 beats, every
    /// tenth beat V and every twentieth (offset 5) S.
    fn run(seed: u64, score: impl Fn(usize) -> f64) -> StudyResult {
        let n = 800;
        let classes: Vec<AamiClass> = (0..n)
            .map(|i| match i % 20 {
                0 => AamiClass::V,
                5 => AamiClass::S,
                _ => AamiClass::N,
            })
            .collect();
        let labels: Vec<bool> = classes.iter().map(|c| c.is_abnormal()).collect();
        let scores: Vec<f64> = (0..n).map(score).collect();
        let normal: Vec<f64> = (0..n).filter(|&i| !labels[i]).map(|i| scores[i]).collect();
        let threshold = Threshold::fit(ThresholdMethod::Percentile { q: 95.0 }, &normal).unwrap();
        let evaluation = evaluate_classes(
            &scores,
            &labels,
            &classes,
            &threshold,
            &EvaluationConfig::default(),
        )
        .unwrap();
        let at_5 = Ranking::new(&scores, &labels)
            .unwrap()
            .recall_at_fpr(0.05)
            .unwrap();
        StudyResult {
            config: StudyConfig {
                seed,
                ..StudyConfig::default()
            },
            protocol: "made up".into(),
            beats: BeatCounts {
                train_pool: 0,
                train: 0,
                validation_pool: 0,
                validation: 0,
                test: classes.iter().copied().collect::<ClassCounts>(),
                beat_len: 160,
                fs: 180.0,
            },
            models: vec![ModelResult {
                name: "M".into(),
                kind: None,
                evaluation,
                recall_at_5_percent_fpr: at_5,
                test_scores: scores,
                history: None,
                params: 0,
                train_seconds: 0.0,
                seed,
                detector: None,
            }],
            ablation: Vec::new(),
            robustness: Vec::new(),
            test_records: (0..n).map(|i| format!("r{}", i / 100)).collect(),
            test_classes: classes,
            reconstructions: Vec::new(),
            latents: None,
            seconds: 1.0,
        }
    }

    /// Abnormal beats score high, normal beats in a spread that differs by record, plus noise
    /// that depends on the seed.
    fn score(seed: u64) -> impl Fn(usize) -> f64 {
        move |i| {
            let noise = ((i as u64 * 2654435761 + seed * 97) % 1000) as f64 / 1000.0;
            let abnormal = matches!(i % 20, 0 | 5);
            let record = (i / 100) as f64 * 0.15;
            if abnormal {
                1.5 + noise
            } else {
                record + noise
            }
        }
    }

    #[test]
    fn seeds_give_means_spreads_and_an_interval_over_records() {
        let runs = vec![run(1, score(1)), run(2, score(2)), run(3, score(3))];
        let aucs: Vec<f64> = runs
            .iter()
            .map(|r| r.models[0].evaluation.report.roc_auc)
            .collect();
        let result = gather(runs, &[1, 2, 3], Bootstrap::default()).unwrap();
        assert_eq!((result.rows.len(), result.records), (1, 8));
        let row = &result.rows[0];
        assert_eq!(row.roc_auc, aucs);
        let (mean, sd) = mean_sd(&row.roc_auc).unwrap();
        assert!(sd > 0.0, "the seeds' noise moves the AUC");
        let interval = row.roc_auc_interval;
        assert!(
            interval.low < mean && mean < interval.high,
            "{interval:?} vs {mean}"
        );
        assert!(
            interval.high - interval.low > 0.005,
            "records differ: {interval:?}"
        );
        // S and V beats score above every normal beat but those of the last records.
        assert!(row.v_at_1_percent.iter().all(|&v| v > 0.0 && v <= 1.0));
        assert!(
            row.n_flagged.iter().all(|&n| (0.03..0.08).contains(&n)),
            "{:?}",
            row.n_flagged
        );
        let table = result.to_string();
        assert!(table.contains("| M | ") && table.contains(" ± "), "{table}");
    }

    #[test]
    fn identical_seeds_have_no_spread_and_runs_must_match() {
        let same = vec![run(1, score(1)), run(1, score(1))];
        let result = gather(same, &[1, 1], Bootstrap::default()).unwrap();
        assert_eq!(mean_sd(&result.rows[0].roc_auc).unwrap().1, 0.0);
        let mut other = run(2, score(2));
        other.models[0].name = "N".into();
        assert!(gather(vec![run(1, score(1)), other], &[1, 2], Bootstrap::default()).is_err());
    }
}
