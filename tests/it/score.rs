//! Anomaly scores, calibration and batched scoring, checked against hand-computed values and
//! closed forms.
#![cfg(feature = "burn")]

use crate::common::assert_all_near;
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use ecg_anomaly::data::batch::WindowDataset;
use ecg_anomaly::device::default_device;
use ecg_anomaly::model::{
    LstmAutoencoder, LstmAutoencoderConfig, Reconstruction, ReconstructionModel, kl_divergence,
};
use ecg_anomaly::score::{
    AnomalyScore, AnyScore, BatchScorer, Calibration, CovarianceRegularization, Ensemble,
    EnsembleMethod, KlDivergence, Mahalanobis, ReconstructionError, majority_vote,
};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

fn tensor3(values: Vec<f32>, shape: [usize; 3], device: &Device) -> Tensor<3> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn host<const D: usize>(t: &Tensor<D>) -> Vec<f64> {
    t.try_to_vec_as::<f64>().unwrap()
}

fn rec_of(output: Tensor<3>) -> Reconstruction {
    let [batch, _, _] = output.dims();
    let device = output.device();
    Reconstruction {
        output,
        latent: Tensor::zeros([batch, 2], &device),
        log_var: None,
    }
}

/// Input zeros `[2, 4, 2]`; window 0 rebuilt as (1,3) (0,0) (2,0) (0,0), window 1 as all -1.
fn tiny() -> (Tensor<3>, Reconstruction) {
    let device = default_device();
    let input = Tensor::zeros([2, 4, 2], &device);
    let mut out = vec![1.0, 3.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0];
    out.extend([-1.0f32; 8]);
    (input, rec_of(tensor3(out, [2, 4, 2], &device)))
}

#[test]
fn reconstruction_errors_equal_hand_computed_values() {
    let (input, rec) = tiny();
    let score = |s: ReconstructionError| s.score(&input, &rec).unwrap();
    // Squared errors 1 9 | 0 0 | 4 0 | 0 0: sum 14 over 8 samples; per-step means 5 0 2 0.
    assert_all_near(&score(ReconstructionError::Mse).scores, &[1.75, 1.0], 1e-12);
    assert_all_near(&score(ReconstructionError::Mae).scores, &[0.75, 1.0], 1e-12);
    let mma = |window| score(ReconstructionError::MaxMovingAverage { window }).scores;
    assert_all_near(&mma(1), &[5.0, 1.0], 1e-12);
    assert_all_near(&mma(2), &[2.5, 1.0], 1e-12);
    assert_all_near(&mma(3), &[7.0 / 3.0, 1.0], 1e-12);
    assert_all_near(&mma(4), &[1.75, 1.0], 1e-12);
    let map = score(ReconstructionError::Mse).error_map.unwrap();
    assert_eq!(map.dims(), [2, 4]);
    assert_all_near(&host(&map)[..4], &[5.0, 0.0, 2.0, 0.0], 1e-12);
    let abs_map = score(ReconstructionError::Mae).error_map.unwrap();
    assert_all_near(&host(&abs_map)[..4], &[2.0, 0.0, 1.0, 0.0], 1e-12);
    for window in [0, 5] {
        let err = ReconstructionError::MaxMovingAverage { window }
            .score(&input, &rec)
            .unwrap_err();
        assert!(err.to_string().contains("window"), "{err}");
    }
    let short = Tensor::zeros([2, 3, 2], &default_device());
    let err = ReconstructionError::Mse.score(&short, &rec).unwrap_err();
    assert!(err.to_string().contains("shape"), "{err}");
}

#[test]
fn the_error_map_peaks_where_a_bump_was_injected() {
    let device = default_device();
    let (batch, seq) = (3, 96);
    let bumps = [10usize, 47, 80];
    let mut clean = Vec::new();
    let mut bumped = Vec::new();
    for &centre in &bumps {
        for t in 0..seq {
            let base = (t as f32 * 0.2).sin();
            let d = t as f32 - centre as f32;
            clean.push(base);
            bumped.push(base + 1.5 * (-d * d / 8.0).exp());
        }
    }
    let input = tensor3(clean, [batch, seq, 1], &device);
    let rec = rec_of(tensor3(bumped, [batch, seq, 1], &device));
    for score in [
        ReconstructionError::Mse,
        ReconstructionError::Mae,
        ReconstructionError::MaxMovingAverage { window: 8 },
    ] {
        let result = score.score(&input, &rec).unwrap();
        let map = host(&result.error_map.unwrap());
        for (b, &centre) in bumps.iter().enumerate() {
            let row = &map[b * seq..(b + 1) * seq];
            let peak = (0..seq).max_by(|&i, &j| row[i].total_cmp(&row[j])).unwrap();
            assert_eq!(peak, centre, "{}", score.name());
        }
    }
    // A short bump dominates an 8-sample moving average far more than the whole-window mean.
    let mse = ReconstructionError::Mse.score(&input, &rec).unwrap().scores;
    let mma = ReconstructionError::MaxMovingAverage { window: 8 }
        .score(&input, &rec)
        .unwrap()
        .scores;
    for (m, a) in mse.iter().zip(&mma) {
        assert!(*a > 5.0 * m, "{a} vs {m}");
    }
}

/// `n` draws of a 2-D Gaussian with mean (1, -2) and covariance [[4, 1.2], [1.2, 1]].
fn gaussian_2d(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // Cholesky of the covariance: [[2, 0], [0.6, 0.8]].
    let mut out = Vec::with_capacity(2 * n);
    for _ in 0..n {
        let (e1, e2): (f64, f64) = (rng.sample(StandardNormal), rng.sample(StandardNormal));
        out.push(1.0 + 2.0 * e1);
        out.push(-2.0 + 0.6 * e1 + 0.8 * e2);
    }
    out
}

/// Closed-form `sqrt(dᵀ Σ⁻¹ d)` for a 2x2 covariance `[[a, b], [b, c]]`.
fn closed_form(d: [f64; 2], a: f64, b: f64, c: f64) -> f64 {
    let det = a * c - b * b;
    ((c * d[0] * d[0] - 2.0 * b * d[0] * d[1] + a * d[1] * d[1]) / det).sqrt()
}

#[test]
fn mahalanobis_matches_the_closed_form_and_grows_for_outliers() {
    let n = 20_000;
    let data = gaussian_2d(n, 7);
    let m = Mahalanobis::fit(&data, 2, CovarianceRegularization::Ridge(0.0)).unwrap();
    // The sample mean and covariance (n - 1), computed here independently.
    let (mut mx, mut my) = (0.0, 0.0);
    data.chunks(2)
        .for_each(|r| (mx, my) = (mx + r[0], my + r[1]));
    (mx, my) = (mx / n as f64, my / n as f64);
    let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
    for r in data.chunks(2) {
        let (dx, dy) = (r[0] - mx, r[1] - my);
        (a, b, c) = (a + dx * dx, b + dx * dy, c + dy * dy);
    }
    let k = (n - 1) as f64;
    (a, b, c) = (a / k, b / k, c / k);
    let points = [[1.0, -2.0], [3.0, -1.0], [-2.0, 0.5], [7.0, -6.0]];
    let flat: Vec<f64> = points.iter().flatten().copied().collect();
    let got = m.distances(&flat).unwrap();
    for (p, d) in points.iter().zip(&got) {
        let exact = closed_form([p[0] - mx, p[1] - my], a, b, c);
        assert!((d - exact).abs() < 1e-9, "{d} vs {exact}");
        let truth = closed_form([p[0] - 1.0, p[1] + 2.0], 4.0, 1.2, 1.0);
        assert!((d - truth).abs() < 0.05 * truth.max(1.0), "{d} vs {truth}");
    }
    assert!(got[0] < 0.05 && got[3] > 4.0 * got[1], "{got:?}");
    // Over the fitted sample, the mean squared distance is exactly dim * (n - 1) / n.
    let mean_sq = m
        .distances(&data)
        .unwrap()
        .iter()
        .map(|d| d * d)
        .sum::<f64>()
        / n as f64;
    assert!((mean_sq - 2.0 * k / n as f64).abs() < 1e-9, "{mean_sq}");
    // Light shrinkage moves the outlier's distance only slightly.
    let shrunk = Mahalanobis::fit(&data, 2, CovarianceRegularization::default()).unwrap();
    let d = shrunk.distances(&flat).unwrap()[3];
    assert!((d - got[3]).abs() < 0.05 * got[3], "{d} vs {}", got[3]);
    // As an anomaly score, on a reconstruction's latent codes.
    let device = default_device();
    let latent = Tensor::<2>::from_data(TensorData::new(flat.clone(), [4, 2]), &device);
    let input = Tensor::zeros([4, 3, 1], &device);
    let rec = Reconstruction {
        output: Tensor::ones([4, 3, 1], &device),
        latent,
        log_var: None,
    };
    let batch = m.score(&input, &rec).unwrap();
    assert_all_near(&batch.scores, &got, 1e-6);
    assert_eq!(host(&batch.error_map.unwrap()), vec![1.0; 12]);
}

#[test]
fn regularisation_makes_a_singular_covariance_invertible() {
    // Codes on the line y = 2x: a rank-1 covariance.
    let data: Vec<f64> = (0..10).flat_map(|i| [i as f64, 2.0 * i as f64]).collect();
    let err = Mahalanobis::fit(&data, 2, CovarianceRegularization::Ridge(0.0)).unwrap_err();
    assert!(err.to_string().contains("positive definite"), "{err}");
    for reg in [
        CovarianceRegularization::Shrinkage(0.01),
        CovarianceRegularization::Ridge(0.1),
    ] {
        let m = Mahalanobis::fit(&data, 2, reg).unwrap();
        // (1, 2) along the line is ordinary; (-1, 0.5), half as far but across it, is far out.
        let d = m.distances(&[5.5, 11.0, 3.5, 9.5]).unwrap();
        assert!(d.iter().all(|d| d.is_finite()), "{d:?}");
        assert!(d[1] > 5.0 * d[0], "{reg:?}: {d:?}");
    }
    for (reg, data, dim) in [
        (CovarianceRegularization::Shrinkage(1.5), data.clone(), 2),
        (CovarianceRegularization::Ridge(-1.0), data.clone(), 2),
        (
            CovarianceRegularization::default(),
            vec![1.0, f64::NAN, 2.0, 3.0],
            2,
        ),
        (CovarianceRegularization::default(), vec![1.0, 2.0], 2),
        (CovarianceRegularization::default(), vec![1.0, 2.0, 3.0], 2),
    ] {
        assert!(
            Mahalanobis::fit(&data, dim, reg).is_err(),
            "{reg:?} {data:?}"
        );
    }
}

#[test]
fn kl_score_matches_kl_divergence_and_needs_log_var() {
    let device = default_device();
    let mu = Tensor::<2>::random([5, 3], Distribution::Normal(0.0, 1.0), &device);
    let log_var = Tensor::<2>::random([5, 3], Distribution::Uniform(-1.0, 1.0), &device);
    let input = Tensor::zeros([5, 4, 1], &device);
    let rec = Reconstruction {
        output: Tensor::zeros([5, 4, 1], &device),
        latent: mu.clone(),
        log_var: Some(log_var.clone()),
    };
    let scores = KlDivergence.score(&input, &rec).unwrap().scores;
    let mean = scores.iter().sum::<f64>() / 5.0;
    let expected = host(&kl_divergence(mu, log_var))[0];
    assert!(
        (mean - expected).abs() < 1e-5 * expected.abs().max(1.0),
        "{mean} vs {expected}"
    );
    assert!(scores.iter().all(|s| *s >= 0.0), "{scores:?}");
    // Hand case: log_var = 0 gives KL = |mu|^2 / 2.
    let hand = Reconstruction {
        output: Tensor::zeros([2, 4, 1], &device),
        latent: Tensor::from_data(
            TensorData::new(vec![0.0f32, 0.0, 1.0, 2.0], [2, 2]),
            &device,
        ),
        log_var: Some(Tensor::zeros([2, 2], &device)),
    };
    let input2 = Tensor::zeros([2, 4, 1], &device);
    assert_all_near(
        &KlDivergence.score(&input2, &hand).unwrap().scores,
        &[0.0, 2.5],
        1e-6,
    );
    let err = KlDivergence
        .score(
            &input2,
            &Reconstruction {
                log_var: None,
                ..hand
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("log_var"), "{err}");
}

fn two_member_ensemble(method: EnsembleMethod) -> Ensemble {
    let members = vec![
        ReconstructionError::Mse.into(),
        ReconstructionError::Mae.into(),
    ];
    let normal = [vec![1.0, 2.0, 3.0, 4.0], vec![10.0, 20.0, 30.0, 40.0]];
    Ensemble::fit(members, &normal, method).unwrap()
}

#[test]
fn ensembles_combine_members_on_the_normal_scale() {
    let rank = two_member_ensemble(EnsembleMethod::RankMean);
    // 2.5 lies halfway between 2 (1/4 below) and 3 (2/4 below): 3/8; 5 is above all: 1;
    // 0 is below all: 0.
    let combined = rank.combine(&[vec![2.5, 5.0], vec![25.0, 0.0]]).unwrap();
    assert_all_near(&combined, &[0.375, 0.5], 1e-12);
    let z = two_member_ensemble(EnsembleMethod::ZScoreMean);
    // Means 2.5 and 25; sample standard deviations sqrt(5/3) and 10 sqrt(5/3).
    let s = (5.0f64 / 3.0).sqrt();
    let combined = z
        .combine(&[vec![2.5 + s, 2.5], vec![25.0 - 20.0 * s, 25.0 + 30.0 * s]])
        .unwrap();
    assert_all_near(&combined, &[-0.5, 1.5], 1e-12);
    assert!(rank.combine(&[vec![1.0]]).is_err());
    assert!(rank.combine(&[vec![1.0], vec![1.0, 2.0]]).is_err());
    // Scoring a batch combines the members' own scores.
    let (input, rec) = tiny();
    let batch = rank.score(&input, &rec).unwrap();
    let mse = ReconstructionError::Mse.score(&input, &rec).unwrap().scores;
    let mae = ReconstructionError::Mae.score(&input, &rec).unwrap().scores;
    assert_eq!(batch.scores, rank.combine(&[mse, mae]).unwrap());
    assert_eq!(batch.error_map.unwrap().dims(), [2, 4]);
    // Constant normal scores cannot be standardised.
    let err = Ensemble::fit(
        vec![ReconstructionError::Mse.into()],
        &[vec![1.0, 1.0, 1.0]],
        EnsembleMethod::ZScoreMean,
    )
    .unwrap_err();
    assert!(err.to_string().contains("mse"), "{err}");
}

#[test]
fn majority_vote_needs_more_than_half() {
    let flags = [
        vec![true, true, false, false],
        vec![true, false, true, false],
        vec![false, true, true, false],
    ];
    assert_eq!(
        majority_vote(&flags).unwrap(),
        vec![true, true, true, false]
    );
    let tie = [vec![true, false], vec![false, false]];
    assert_eq!(majority_vote(&tie).unwrap(), vec![false, false]);
    assert!(majority_vote(&[]).is_err());
    assert!(majority_vote(&[vec![true], vec![true, false]]).is_err());
}

#[test]
fn calibration_is_monotone_and_0_99_means_above_99_percent_of_normal() {
    let normal: Vec<f64> = (0..100).map(f64::from).collect();
    let c = Calibration::fit(&normal).unwrap();
    assert_eq!(c.calibrate(-1.0), 0.0);
    assert_eq!(c.calibrate(0.0), 0.0);
    assert_eq!(c.calibrate(50.0), 0.5);
    assert!((c.calibrate(49.5) - 0.495).abs() < 1e-12);
    assert_eq!(c.calibrate(99.5), 1.0);
    assert!(c.calibrate(f64::NAN).is_nan());
    // Ties count once: 3 of 5 scores are below 2, none below 1.
    let tied = Calibration::fit(&[1.0, 1.0, 1.0, 2.0, 3.0]).unwrap();
    assert_eq!(tied.calibrate(1.0), 0.0);
    assert_eq!(tied.calibrate(2.0), 0.6);
    // Heavy-tailed normal scores, thinned (50k distinct > 10k kept), against fresh ones.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut draw = |n: usize| -> Vec<f64> {
        (0..n)
            .map(|_| rng.sample::<f64, _>(StandardNormal).exp())
            .collect()
    };
    let fit = draw(50_000);
    let c = Calibration::fit(&fit).unwrap();
    assert_eq!(c.count(), 50_000);
    let mut sorted = fit.clone();
    sorted.sort_by(f64::total_cmp);
    let probes = draw(2_000);
    for &s in &probes {
        let exact = sorted.partition_point(|&v| v < s) as f64 / 50_000.0;
        assert!((c.calibrate(s) - exact).abs() <= 1.5e-4, "{s}");
    }
    let mut grid: Vec<f64> = probes.clone();
    grid.sort_by(f64::total_cmp);
    let levels = c.calibrate_all(&grid);
    assert!(levels.windows(2).all(|w| w[0] <= w[1]));
    assert!(levels.iter().all(|l| (0.0..=1.0).contains(l)));
    let fresh = draw(20_000);
    let above = fresh.iter().filter(|&&s| c.calibrate(s) > 0.99).count() as f64 / 20_000.0;
    assert!((0.007..0.013).contains(&above), "{above}");
    let threshold = c.score_at(0.99).unwrap();
    assert!((c.calibrate(threshold) - 0.99).abs() < 1e-9);
    assert!(Calibration::fit(&[]).is_err());
    assert!(Calibration::fit(&[1.0, f64::INFINITY]).is_err());
    assert!(c.score_at(1.5).is_err());
}

#[test]
fn scores_and_calibration_survive_serde() {
    let mahalanobis =
        Mahalanobis::fit(&gaussian_2d(100, 1), 2, CovarianceRegularization::default()).unwrap();
    let scores: Vec<AnyScore> = vec![
        ReconstructionError::MaxMovingAverage { window: 12 }.into(),
        mahalanobis.into(),
        KlDivergence.into(),
        two_member_ensemble(EnsembleMethod::ZScoreMean).into(),
    ];
    for score in scores {
        let json = serde_json::to_string(&score).unwrap();
        let back: AnyScore = serde_json::from_str(&json).unwrap();
        assert_eq!(back, score, "{json}");
        assert_eq!(back.name(), score.name());
    }
    let c = Calibration::fit(&gaussian_2d(500, 2)).unwrap();
    let path = crate::common::temp_path("score", "calibration.json");
    c.save_json(&path).unwrap();
    assert_eq!(Calibration::load_json(&path).unwrap(), c);
    // A hand-edited file whose points are not ascending is rejected.
    std::fs::write(&path, r#"{"count":2,"values":[2.0,1.0],"below":[0.0,0.5]}"#).unwrap();
    let err = Calibration::load_json(&path).unwrap_err();
    assert!(err.to_string().contains("ascending"), "{err}");
    std::fs::remove_file(&path).unwrap();
}

fn windows(n: usize, seq: usize) -> WindowDataset {
    let data = (0..n * seq)
        .map(|i| ((i % seq) as f32 * 0.3 + (i / seq) as f32).sin())
        .collect();
    WindowDataset::new(data, seq, 1, vec![false; n]).unwrap()
}

/// An untrained LSTM autoencoder of 8 hidden units and a 4-d code.
fn small_lstm(device: &Device) -> LstmAutoencoder {
    LstmAutoencoderConfig {
        hidden: 8,
        latent: 4,
        ..Default::default()
    }
    .init(device)
    .unwrap()
}

#[test]
fn batch_scorer_gives_the_same_scores_in_any_batch_size() {
    let device = default_device();
    let model = small_lstm(&device);
    let data = windows(37, 24);
    let whole = BatchScorer::new(37).unwrap();
    let small = BatchScorer::new(5).unwrap();
    let score = ReconstructionError::MaxMovingAverage { window: 4 };
    let reference = whole.score(&model, &score, &data, &device).unwrap();
    assert_eq!(reference.len(), 37);
    assert_all_near(
        &small.score(&model, &score, &data, &device).unwrap(),
        &reference,
        1e-5,
    );
    // The same as one reconstruction of the whole set by hand.
    let mut flat = Vec::new();
    (0..37).for_each(|i| flat.extend_from_slice(data.window(i).unwrap()));
    let input = tensor3(flat, [37, 24, 1], &device);
    let rec = model.reconstruct(input.clone());
    assert_all_near(&score.score(&input, &rec).unwrap().scores, &reference, 1e-5);
    // Latents, and a Mahalanobis score fitted on them.
    let latents = small.latents(&model, &data, &device).unwrap();
    assert_eq!((latents.len(), latents.dim), (37, 4));
    assert_all_near(&latents.values, &host(&rec.latent), 1e-5);
    let m = Mahalanobis::fit(&latents.values, latents.dim, Default::default()).unwrap();
    let by_batch = BatchScorer::default()
        .score(&model, &m, &data, &device)
        .unwrap();
    assert_all_near(&by_batch, &m.distances(&latents.values).unwrap(), 1e-4);
    let empty = WindowDataset::new(vec![], 24, 1, vec![]).unwrap();
    assert!(
        small
            .score(&model, &score, &empty, &device)
            .unwrap()
            .is_empty()
    );
    assert!(BatchScorer::new(0).is_err());
}

#[test]
fn several_scores_from_one_pass_equal_each_score_on_its_own() {
    let device = default_device();
    let model = small_lstm(&device);
    let data = windows(23, 24);
    let scorer = BatchScorer::new(6).unwrap();
    let latents = scorer.latents(&model, &data, &device).unwrap();
    let m = Mahalanobis::fit(&latents.values, latents.dim, Default::default()).unwrap();
    let peak = ReconstructionError::MaxMovingAverage { window: 3 };
    let scores: [&dyn AnomalyScore; 3] = [&ReconstructionError::Mse, &m, &peak];
    let many = scorer.score_many(&model, &scores, &data, &device).unwrap();
    assert_eq!(many.len(), 3);
    for (score, values) in scores.iter().zip(&many) {
        let alone = scorer.score(&model, *score, &data, &device).unwrap();
        assert_eq!(values, &alone, "{}", score.name());
    }
    // A score the model cannot give (KL of a model without log_var) is an error, not a
    // shorter list.
    let with_kl: [&dyn AnomalyScore; 2] = [&ReconstructionError::Mse, &KlDivergence];
    let err = scorer
        .score_many(&model, &with_kl, &data, &device)
        .unwrap_err();
    assert!(err.to_string().contains("variational"), "{err}");
    let none = scorer.score_many(&model, &[], &data, &device).unwrap();
    assert!(none.is_empty());
}
