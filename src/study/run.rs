//! [`run_study`]: beats of a protocol in, fitted detectors, scores and per-class results out.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::ablation::{Scored, row, variants};
use super::alternatives::{Beats, alternative_rows, alternative_scores};
use super::config::StudyConfig;
use super::noise::{NoiseRow, with_noise};
use super::result::{BeatCounts, LatentSample, ModelResult, ReconstructionSample, StudyResult};
use crate::data::beat::AamiClass;
use crate::detector::{BeatSource, Detector, ModelKind, Verdict};
use crate::evaluate::{
    ClassEvaluation, EvaluationConfig, OperatingPoint, Ranking, evaluate_classes,
};
use crate::json::save_json;
use crate::model::ReconstructionModel;
use crate::preprocess::Normalizer;
use crate::score::{
    AnyScore, BatchScorer, BeatContext, ContextConfig, Ensemble, EnsembleMethod, Reference,
};
use crate::study::mitbih::BeatSet;
use crate::threshold::{Threshold, ThresholdMethod};
use crate::{Error, Result};

/// File of the settings run, in the output folder.
pub const STUDY_JSON: &str = "study.json";
/// File of every model's evaluation, in the output folder.
pub const RESULTS_JSON: &str = "results.json";
/// File of the ablation rows, in the output folder.
pub const ABLATION_JSON: &str = "ablation.json";
/// File of the noise robustness rows, in the output folder (when noise levels were asked for).
pub const ROBUSTNESS_JSON: &str = "robustness.json";

/// Runs one study: cuts the protocol's beats from the MIT-BIH records in `dir`
/// ([`Protocol::load`](crate::study::mitbih::Protocol::load), then
/// [`Protocol::split`](crate::study::mitbih::Protocol::split)), fits each model with
/// [`DetectorConfig::fit_split`](crate::detector::DetectorConfig::fit_split) on normal training
/// beats, holding out the normal validation beats (early stopping, calibration, threshold),
/// saves it in `out/<model>/detector`, scores the test beats with [`Detector::detect`] and
/// evaluates them per AAMI class; then fits the rank-mean ensemble of the models on their
/// validation scores only. No anomaly label chooses a checkpoint, a setting or a threshold.
/// Writes `out/study.json` (the settings) and `out/results.json` (the evaluations).
///
/// Errors: bad settings, missing or unreadable records, a failed fit, an unwritable `out`.
///
/// ```no_run
/// use ecg_anomaly::study::mitbih::find_mitdb;
/// use ecg_anomaly::study::{StudyConfig, StudyProtocol, run_study};
/// let config = StudyConfig {
///     protocol: StudyProtocol::InterPatient,
///     quick: true,
///     ..StudyConfig::default()
/// };
/// let device = ecg_anomaly::device::default_device();
/// let result = run_study(&config, &find_mitdb()?, "target/p2".as_ref(), &device)?;
/// println!("{result}");
/// # Ok::<(), ecg_anomaly::Error>(())
/// ```
pub fn run_study(
    config: &StudyConfig,
    dir: &Path,
    out: &Path,
    device: &Device,
) -> Result<StudyResult> {
    let started = Instant::now();
    config.validate()?;
    let protocol = config.protocol()?;
    let loaded = protocol.load(dir)?;
    let split = protocol.split(&loaded.beats)?;
    let (max_train, max_test) = config.limits();
    // Indices into the loaded beats: each set is cut once, from the beats it keeps.
    let pick = |pool: &[usize], max: usize| -> Vec<usize> {
        spaced(pool.len(), max)
            .into_iter()
            .map(|k| pool[k])
            .collect()
    };
    let train = loaded.beats.select(&pick(&split.train, max_train))?;
    let valid_max = (max_train / 4).max(2);
    let valid = loaded.beats.select(&pick(&split.validation, valid_max))?;
    let tested = pick(&split.test, max_test);
    let test = loaded.beats.select(&tested)?;
    let (whole, test_in_whole) = whole_records(&loaded.beats, &tested, config.quick)?;
    let whole_context = context_of(&whole)?;
    let valid_context = context_of(&valid)?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    save_json(config, &out.join(STUDY_JSON))?;

    let labels = test.anomaly_labels();
    let classes: Vec<AamiClass> = test.beats().iter().map(|b| b.class).collect();
    let (mut models, mut detectors, mut valid_scores) = (Vec::new(), Vec::new(), Vec::new());
    let mut ablation = Vec::new();
    let rule = config.models[0].detector.threshold;
    for model in &config.models {
        let fitting = Instant::now();
        let mut fitted = config.detector(model, &protocol)?;
        // `<out>/<model>/training_log.csv` gets a row per epoch as it ends.
        fitted.training.log_dir = Some(out.join(model.folder()));
        let detector = fitted.fit_split(&train, &valid, device)?;
        let train_seconds = fitting.elapsed().as_secs_f64();
        let folder = out.join(model.folder()).join("detector");
        detector.save(&folder)?;
        // Whole recordings are scored, so that each is its own reference.
        let whole_verdicts = detector.detect(&whole)?;
        let valid_verdicts = detector.detect(&valid)?;
        let test_scores: Vec<f64> = test_in_whole
            .iter()
            .map(|&i| whole_verdicts[i].score)
            .collect();
        valid_scores.push(valid_verdicts.iter().map(|v| v.score).collect());
        let model_scores = |v: &[Verdict]| v.iter().map(|v| v.model_score).collect::<Vec<_>>();
        let (valid_model, whole_model) =
            (model_scores(&valid_verdicts), model_scores(&whole_verdicts));
        let scored = Scored {
            valid: &valid_model,
            valid_context: &valid_context,
            whole: &whole_model,
            whole_context: &whole_context,
            test: &test_in_whole,
        };
        if config.ablation && ablation.is_empty() {
            // Label-free baselines without a model: the rhythm alone, and the rhythm with the
            // template (each beat against its record's median beat), both within the record.
            let (valid_one, whole_one) = Scored::rhythm_only(&valid_model, &whole_model);
            let alone = Scored {
                valid: &valid_one,
                whole: &whole_one,
                ..scored
            };
            for (variant, template) in [
                ("rhythm, per record", false),
                ("rhythm + template, per record", true),
            ] {
                let baseline = ContextConfig {
                    rhythm: true,
                    template,
                    reference: Reference::Record,
                    ..ContextConfig::default()
                };
                let (scores, threshold) = alone.in_context(baseline, rule)?;
                ablation.push(row("none", variant, &scores, &classes, &threshold)?);
            }
        }
        if config.ablation {
            for (variant, context) in variants() {
                let (scores, threshold) = scored.in_context(context, rule)?;
                ablation.push(row(&model.name, variant, &scores, &classes, &threshold)?);
            }
            let alternatives = alternative_scores(&detector, &train, config.sample_rate)?;
            let beats = Beats {
                valid: &valid,
                valid_context: &valid_context,
                whole: &whole,
                whole_context: &whole_context,
                test: &test_in_whole,
                classes: &classes,
            };
            ablation.extend(alternative_rows(
                &model.name,
                &detector,
                &alternatives,
                &beats,
                rule,
            )?);
        }
        let (evaluation, recall_at_5) =
            judge(&test_scores, &labels, &classes, detector.threshold())?;
        models.push(ModelResult {
            name: model.name.clone(),
            kind: Some(detector.metadata().model_kind),
            evaluation,
            recall_at_5_percent_fpr: recall_at_5,
            test_scores,
            history: detector.history().cloned(),
            params: detector.model().num_params(),
            train_seconds,
            seed: config.seed,
            detector: Some(folder),
        });
        detectors.push(detector);
    }
    if models.len() > 1 {
        let members = detectors.iter().map(|d| d.score().clone()).collect();
        let tested: Vec<Vec<f64>> = models.iter().map(|m| m.test_scores.clone()).collect();

        let (test_scores, threshold) = ensemble(members, &valid_scores, &tested, rule)?;
        if config.ablation {
            let name = "rank mean of the models' scores";
            ablation.push(row("ensemble", name, &test_scores, &classes, &threshold)?);
        }
        let (evaluation, recall_at_5) = judge(&test_scores, &labels, &classes, &threshold)?;
        models.push(ModelResult {
            name: "Ensemble (rank mean)".into(),
            kind: None,
            evaluation,
            recall_at_5_percent_fpr: recall_at_5,
            test_scores,
            history: None,
            params: models.iter().map(|m| m.params).sum(),
            train_seconds: models.iter().map(|m| m.train_seconds).sum(),
            seed: config.seed,
            detector: None,
        });
    }
    let robustness = robustness(config, &detectors, &models, &whole, &test_in_whole, &labels)?;
    let reconstructions = reconstructions(&detectors[0], &test, &models[0].test_scores)?;
    let vae = detectors
        .iter()
        .position(|d| d.metadata().model_kind == ModelKind::ConvVae);
    let latents = match vae {
        Some(i) => Some(latents(&config.models[i].name, &detectors[i], &test)?),
        None => None,
    };
    save_json(&models, &out.join(RESULTS_JSON))?;
    save_json(&ablation, &out.join(ABLATION_JSON))?;
    if !robustness.is_empty() {
        save_json(&robustness, &out.join(ROBUSTNESS_JSON))?;
    }
    Ok(StudyResult {
        config: config.clone(),
        protocol: protocol.to_string(),
        beats: BeatCounts {
            train_pool: split.train.len(),
            train: train.count(),
            validation_pool: split.validation.len(),
            validation: valid.count(),
            test: test.class_counts(),
            beat_len: test.beat_len(),
            fs: config.sample_rate,
        },
        models,
        ablation,
        robustness,
        test_classes: classes,
        test_records: test.beats().iter().map(|b| b.record.to_string()).collect(),
        reconstructions,
        latents,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// At most `max` indices out of `0..n`, evenly spaced, ascending.
pub(super) fn spaced(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    (0..max).map(|k| k * n / max).collect()
}

/// Every beat of the recordings that `tested` (ascending indices into `all`) come from, and
/// where each tested beat is in it; when `quick`, the tested beats alone.
fn whole_records(all: &BeatSet, tested: &[usize], quick: bool) -> Result<(BeatSet, Vec<usize>)> {
    let whole: Vec<usize> = match quick {
        true => tested.to_vec(),
        false => {
            let records: HashSet<&str> = tested.iter().map(|&i| &*all.beats()[i].record).collect();
            (0..all.count())
                .filter(|&i| records.contains(&*all.beats()[i].record))
                .collect()
        }
    };
    let positions = tested
        .iter()
        .map(|i| {
            whole
                .binary_search(i)
                .map_err(|_| Error::invalid("tested", "indices not ascending"))
        })
        .collect::<Result<Vec<usize>>>()?;
    Ok((all.select(&whole)?, positions))
}

/// Each detector's test results clean and at every SNR of the study (the whole recordings
/// noised, scored in context, flagged at the detector's clean threshold).
fn robustness(
    config: &StudyConfig,
    detectors: &[Detector],
    models: &[ModelResult],
    whole: &BeatSet,
    test_in_whole: &[usize],
    labels: &[bool],
) -> Result<Vec<NoiseRow>> {
    let mut rows = Vec::new();
    if config.noise_snr_db.is_empty() {
        return Ok(rows);
    }
    for (detector, model) in detectors.iter().zip(models) {
        let flags: Vec<bool> = (model.test_scores.iter())
            .map(|&s| detector.threshold().apply(s))
            .collect();
        rows.push(NoiseRow::measure(
            &model.name,
            None,
            &model.test_scores,
            labels,
            &flags,
        )?);
    }
    for &db in &config.noise_snr_db {
        let noisy = with_noise(whole, config.sample_rate, db, config.seed)?;
        for (detector, model) in detectors.iter().zip(models) {
            let verdicts = detector.detect(&noisy)?;
            let scores: Vec<f64> = test_in_whole.iter().map(|&i| verdicts[i].score).collect();
            let flags: Vec<bool> = test_in_whole.iter().map(|&i| verdicts[i].anomaly).collect();
            rows.push(NoiseRow::measure(
                &model.name,
                Some(db),
                &scores,
                labels,
                &flags,
            )?);
        }
    }
    Ok(rows)
}

/// The context of every beat of `beats` (its record and RR intervals).
pub(super) fn context_of(beats: &BeatSet) -> Result<Vec<BeatContext>> {
    beats
        .context()
        .ok_or_else(|| Error::invalid("beats", "no context"))
}

/// The rank-mean ensemble of members scored `valid` (normal validation beats) and `test`:
/// fitted and thresholded by `rule` on the validation scores only. Gives the combined test
/// scores and the threshold.
fn ensemble(
    members: Vec<AnyScore>,
    valid: &[Vec<f64>],
    test: &[Vec<f64>],
    rule: ThresholdMethod,
) -> Result<(Vec<f64>, Threshold)> {
    let ensemble = Ensemble::fit(members, valid, EnsembleMethod::RankMean)?;
    let threshold = Threshold::fit(rule, &ensemble.combine(valid)?)?;
    Ok((ensemble.combine(test)?, threshold))
}

/// Test scores measured against the labels: every metric at `threshold` and per class, and
/// the recall at 5 % false alarms.
fn judge(
    scores: &[f64],
    labels: &[bool],
    classes: &[AamiClass],
    threshold: &Threshold,
) -> Result<(ClassEvaluation<AamiClass>, OperatingPoint)> {
    let config = EvaluationConfig::default();
    let evaluation = evaluate_classes(scores, labels, classes, threshold, &config)?;
    let at_5 = Ranking::new(scores, labels)?.recall_at_fpr(0.05)?;
    Ok((evaluation, at_5))
}

/// Beat `i` of `beats` normalised as `detector` normalises its input.
fn normalized(detector: &Detector, beats: &BeatSet, i: usize) -> Result<Vec<f32>> {
    let mut beat = beats
        .samples(i)
        .ok_or_else(|| Error::invalid("beats", format!("no beat {i}")))?
        .to_vec();
    detector.normalizer().normalize(&mut beat);
    Ok(beat)
}

/// The first test beat of classes N, S and V (those present) rebuilt by `detector`.
fn reconstructions(
    detector: &Detector,
    test: &BeatSet,
    scores: &[f64],
) -> Result<Vec<ReconstructionSample>> {
    let seq = test.beat_len();
    let mut samples = Vec::new();
    for class in [AamiClass::N, AamiClass::S, AamiClass::V] {
        let Some(i) = test.beats().iter().position(|b| b.class == class) else {
            continue;
        };
        let input = normalized(detector, test, i)?;
        let tensor = Tensor::<3>::from_data(
            TensorData::new(input.clone(), [1, seq, 1]),
            detector.device(),
        );
        let output = (detector.model().reconstruct(tensor).output)
            .try_to_vec_as::<f32>()
            .map_err(|e| Error::Backend(format!("reconstruction: {e}")))?;
        let score = scores[i];
        samples.push(ReconstructionSample {
            class,
            score,
            input,
            output,
        });
    }
    Ok(samples)
}

/// The latent means of up to 3,000 evenly spaced test beats.
fn latents(name: &str, detector: &Detector, test: &BeatSet) -> Result<LatentSample> {
    let keep = spaced(test.count(), 3_000);
    let mut data = Vec::with_capacity(keep.len() * test.beat_len());
    for &i in &keep {
        data.extend(normalized(detector, test, i)?);
    }
    let labels = vec![false; keep.len()];
    let subset = crate::data::batch::WindowDataset::new(data, test.beat_len(), 1, labels)?;
    let latents = BatchScorer::default().latents(detector.model(), &subset, detector.device())?;
    let dim = latents.dim.max(1);
    Ok(LatentSample {
        model: name.into(),
        codes: latents.values.chunks(dim).map(<[f64]>::to_vec).collect(),
        classes: keep.iter().map(|&i| test.beats()[i].class).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::ReconstructionError;

    #[test]
    fn spaced_keeps_all_or_evenly_spread_ascending_indices() {
        assert_eq!(spaced(3, 10), [0, 1, 2]);
        assert_eq!(spaced(10, 5), [0, 2, 4, 6, 8]);
        let picked = spaced(100_003, 12_000);
        assert_eq!(picked.len(), 12_000);
        assert!(picked.windows(2).all(|w| w[0] < w[1]) && picked[11_999] < 100_003);
    }

    #[test]
    fn the_ensemble_is_fitted_and_thresholded_on_validation_scores_only() {
        let mse = || AnyScore::from(ReconstructionError::Mse);
        let valid_a: Vec<f64> = (0..100).map(f64::from).collect();
        let valid_b: Vec<f64> = (0..100).map(|i| 1e3 * f64::from(i)).collect();
        let valid = [valid_a, valid_b];
        // Test beats: 3 normal low in the normal range, 2 anomalies beyond it in one member.
        let test = [
            vec![10.0, 20.0, 30.0, 500.0, 40.0],
            vec![1e4, 2e4, 3e4, 4e4, 1e6],
        ];
        let rule = ThresholdMethod::Percentile { q: 95.0 };
        let (scores, threshold) = ensemble(vec![mse(), mse()], &valid, &test, rule).unwrap();
        assert_eq!(scores.len(), 5);
        let labels = [false, false, false, true, true];
        let ranking = Ranking::new(&scores, &labels).unwrap();
        assert_eq!(ranking.roc_auc(), 1.0);
        // The threshold sits at the 95th percentile of the combined normal validation scores,
        // whatever the test scores are.
        let (_, same) =
            ensemble(vec![mse(), mse()], &valid, &[vec![0.0], vec![0.0]], rule).unwrap();
        assert_eq!(threshold, same);
        let classes = [
            AamiClass::N,
            AamiClass::N,
            AamiClass::N,
            AamiClass::V,
            AamiClass::S,
        ];
        let (evaluation, at_5) = judge(&scores, &labels, &classes, &threshold).unwrap();
        assert_eq!(evaluation.classes.len(), 3);
        assert_eq!((at_5.target_fpr, at_5.recall), (0.05, 1.0));
        assert!(
            ensemble(vec![mse()], &valid, &test, rule).is_err(),
            "one member, two lists"
        );
    }
}
