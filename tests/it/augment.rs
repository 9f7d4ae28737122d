//! Augmentations: statistical effect over many draws on synthetic beats, determinism, pipeline.

use crate::common::{mean, std};
use ecg_anomaly::Error;
use ecg_anomaly::augment::{
    AmplitudeScale, Augment, AugmentState, BaselineWander, Compose, EdgeFill, GaussianNoise,
    TimeShift, TimeWarp, augment_batch_par,
};
use ecg_anomaly::data::synthetic::{SyntheticConfig, SyntheticLength, generate};

const FS: f64 = 360.0;
const BEAT_LEN: usize = 256;

/// `count` beats of 256 samples (R at sample 90) cut from a synthetic record with anomalies.
fn beats(count: usize) -> Vec<Vec<f32>> {
    let record = generate(&SyntheticConfig {
        length: SyntheticLength::Beats(count + 2),
        anomaly_rate: 0.1,
        seed: 99,
        ..Default::default()
    })
    .unwrap();
    let signal = &record.ecg.leads[0];
    record.beats[1..=count]
        .iter()
        .map(|b| signal[b.r_peak - 90..b.r_peak - 90 + BEAT_LEN].to_vec())
        .collect()
}

fn diff(after: &[f32], before: &[f32]) -> Vec<f64> {
    after
        .iter()
        .zip(before)
        .map(|(&a, &b)| f64::from(a - b))
        .collect()
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap()
}

/// Lag in `-max..=max` maximising the cross-correlation of `y` with `x` (`y[i] ~ x[i - lag]`).
fn xcorr_lag(x: &[f32], y: &[f32], max: isize) -> isize {
    let n = x.len() as isize;
    let score = |lag: isize| -> f64 {
        let (lo, hi) = (lag.max(0), (n + lag).min(n));
        let overlap = (lo..hi).map(|i| f64::from(y[i as usize]) * f64::from(x[(i - lag) as usize]));
        overlap.sum::<f64>() / (hi - lo) as f64
    };
    (-max..=max)
        .max_by(|&a, &b| score(a).total_cmp(&score(b)))
        .unwrap()
}

#[test]
fn gaussian_noise_has_the_asked_std_or_snr() {
    let data = beats(200);
    let mut state = AugmentState::new(1);
    let noise = GaussianNoise::std(0.05).unwrap();
    let mut residual = Vec::new();
    for beat in &data {
        let mut out = beat.clone();
        noise.apply(&mut out, &mut state);
        residual.extend(diff(&out, beat));
    }
    assert!(
        (std(&residual) / 0.05 - 1.0).abs() < 0.05,
        "std {}",
        std(&residual)
    );
    assert!(mean(&residual).abs() < 0.002);

    let snr = GaussianNoise::snr_db(10.0).unwrap();
    let measured: Vec<f64> = data
        .iter()
        .map(|beat| {
            let mut out = beat.clone();
            snr.apply(&mut out, &mut state);
            let signal: Vec<f64> = beat.iter().map(|&x| f64::from(x)).collect();
            20.0 * (std(&signal) / std(&diff(&out, beat))).log10()
        })
        .collect();
    assert!(
        (mean(&measured) - 10.0).abs() < 0.2,
        "SNR {} dB",
        mean(&measured)
    );
}

#[test]
fn amplitude_scaling_draws_gains_uniformly_in_the_range() {
    let data = beats(50);
    let scale = AmplitudeScale::new(0.7, 1.3).unwrap();
    let mut state = AugmentState::new(2);
    let mut gains = Vec::new();
    for beat in data.iter().cycle().take(2000) {
        let mut out = beat.clone();
        scale.apply(&mut out, &mut state);
        let r = argmax(beat);
        let gain = f64::from(out[r] / beat[r]);
        // One gain for the whole beat.
        assert!(
            out.iter()
                .zip(beat)
                .all(|(&o, &b)| (f64::from(o) - gain * f64::from(b)).abs() < 1e-5)
        );
        gains.push(gain);
    }
    assert!(gains.iter().all(|g| (0.7..1.3).contains(g)));
    assert!(
        (mean(&gains) - 1.0).abs() < 0.02,
        "mean gain {}",
        mean(&gains)
    );
    // Uniform on [0.7, 1.3): std 0.6 / sqrt(12).
    assert!((std(&gains) / (0.6 / 12f64.sqrt()) - 1.0).abs() < 0.1);
    let (lo, hi) = gains
        .iter()
        .fold((2.0f64, 0.0f64), |(lo, hi), &g| (lo.min(g), hi.max(g)));
    assert!(lo < 0.72 && hi > 1.28);
}

#[test]
fn time_shift_moves_the_beat_by_the_drawn_lag() {
    let data = beats(50);
    let shift = TimeShift::new(20, EdgeFill::Edge).unwrap();
    let mut state = AugmentState::new(3);
    let mut seen = std::collections::HashSet::new();
    for beat in data.iter().cycle().take(600) {
        let lag = shift.draw_lag(&mut state.clone().rng);
        let mut out = beat.clone();
        shift.apply(&mut out, &mut state);
        assert_eq!(xcorr_lag(beat, &out, 30), lag);
        assert_eq!(argmax(&out) as isize, argmax(beat) as isize + lag);
        seen.insert(lag);
    }
    // Every lag in -20..=20 was drawn.
    assert_eq!(seen.len(), 41);
    assert!(seen.iter().all(|l| l.abs() <= 20));
}

#[test]
fn shift_fills_uncovered_samples_as_asked() {
    let x = [1.0f32, 2.0, 3.0, 4.0, 5.0];
    let shifted = |lag, fill| {
        let mut v = x;
        TimeShift::shift(&mut v, lag, fill);
        v
    };
    assert_eq!(shifted(2, EdgeFill::Zero), [0.0, 0.0, 1.0, 2.0, 3.0]);
    assert_eq!(shifted(2, EdgeFill::Edge), [1.0, 1.0, 1.0, 2.0, 3.0]);
    assert_eq!(shifted(2, EdgeFill::Wrap), [4.0, 5.0, 1.0, 2.0, 3.0]);
    assert_eq!(shifted(-1, EdgeFill::Zero), [2.0, 3.0, 4.0, 5.0, 0.0]);
    assert_eq!(shifted(-1, EdgeFill::Edge), [2.0, 3.0, 4.0, 5.0, 5.0]);
    assert_eq!(shifted(-1, EdgeFill::Wrap), [2.0, 3.0, 4.0, 5.0, 1.0]);
    assert_eq!(shifted(9, EdgeFill::Edge), [1.0; 5]);
    assert_eq!(shifted(-9, EdgeFill::Zero), [0.0; 5]);
    assert_eq!(shifted(7, EdgeFill::Wrap), shifted(2, EdgeFill::Wrap));
}

#[test]
fn baseline_wander_adds_slow_zero_mean_energy() {
    let data = beats(50);
    let wander = BaselineWander::new(FS, (0.1, 0.3), (0.1, 0.5)).unwrap();
    let mut state = AugmentState::new(4);
    let (mut energy, mut offsets) = (Vec::new(), Vec::new());
    for beat in data.iter().cycle().take(4000) {
        let mut out = beat.clone();
        wander.apply(&mut out, &mut state);
        let d = diff(&out, beat);
        // Slow: the second difference of a sinusoid of f <= 0.5 Hz is (2 pi f / fs)^2 its size.
        let curvature = d
            .windows(3)
            .map(|w| (w[0] - 2.0 * w[1] + w[2]).abs())
            .fold(0.0, f64::max);
        let size = d.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(curvature <= size * (std::f64::consts::TAU * 0.5 / FS).powi(2) * 1.01 + 1e-6);
        energy.push(mean(&d.iter().map(|x| x * x).collect::<Vec<_>>()));
        offsets.push(mean(&d));
    }
    // E[a^2] / 2 for a uniform on [0.1, 0.3].
    let expected = (0.3f64.powi(3) - 0.1f64.powi(3)) / (3.0 * 0.2) / 2.0;
    assert!(
        (mean(&energy) / expected - 1.0).abs() < 0.05,
        "energy {}",
        mean(&energy)
    );
    // The beat's mean moves per draw but not on average.
    let se = std(&offsets) / (offsets.len() as f64).sqrt();
    assert!(std(&offsets) > 0.05);
    assert!(
        mean(&offsets).abs() < 4.0 * se,
        "mean offset {}",
        mean(&offsets)
    );
}

#[test]
fn baseline_wander_frequency_stays_in_its_range() {
    let wander = BaselineWander::new(FS, (0.2, 0.2), (0.2, 0.4)).unwrap();
    let mut state = AugmentState::new(5);
    for _ in 0..200 {
        let mut window = vec![0.0f32; 20 * FS as usize];
        wander.apply(&mut window, &mut state);
        // 20 s of 0.2-0.4 Hz: 8 to 16 sign changes (one either way at the ends).
        let crossings = window
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        assert!((7..=17).contains(&crossings), "{crossings}");
        let peak = window.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((peak - 0.2).abs() < 1e-3);
    }
}

#[test]
fn time_warp_keeps_length_ends_and_energy_and_moves_the_r_peak() {
    let data = beats(50);
    let warp = TimeWarp::new(0.2).unwrap();
    let mut state = AugmentState::new(6);
    let mut moves = Vec::new();
    for beat in data.iter().cycle().take(500) {
        let mut out = beat.clone();
        warp.apply(&mut out, &mut state);
        assert_eq!(out.len(), beat.len());
        assert_eq!((out[0], out[BEAT_LEN - 1]), (beat[0], beat[BEAT_LEN - 1]));
        let energy = |v: &[f32]| v.iter().map(|&x| f64::from(x * x)).sum::<f64>();
        let ratio = energy(&out) / energy(beat);
        assert!((0.75..1.33).contains(&ratio), "energy ratio {ratio}");
        moves.push(argmax(&out) as f64 - argmax(beat) as f64);
    }
    let abs: Vec<f64> = moves.iter().map(|m| m.abs()).collect();
    assert!(
        mean(&abs) > 2.0,
        "R peak moved {} samples on average",
        mean(&abs)
    );
    // The R peak at sample 90 cannot move further than the largest speed change allows.
    assert!(abs.iter().all(|&m| m <= 0.4 * 90.0 + 1.0));
    assert!(moves.iter().any(|&m| m > 0.0) && moves.iter().any(|&m| m < 0.0));
}

#[test]
fn time_warp_is_monotone_and_zero_stretch_is_the_identity() {
    let ramp: Vec<f32> = (0..BEAT_LEN).map(|i| i as f32).collect();
    let mut state = AugmentState::new(7);
    let warp = TimeWarp::new(0.5).unwrap().with_knots(8).unwrap();
    for _ in 0..100 {
        let mut out = ramp.clone();
        warp.apply(&mut out, &mut state);
        assert!(out.windows(2).all(|w| w[1] > w[0]), "not increasing");
        assert_eq!((out[0], out[BEAT_LEN - 1]), (0.0, (BEAT_LEN - 1) as f32));
        assert!(out.iter().zip(&ramp).any(|(a, b)| (a - b).abs() > 1.0));
    }
    let mut out = ramp.clone();
    TimeWarp::new(0.0).unwrap().apply(&mut out, &mut state);
    assert_eq!(out, ramp);
}

fn pipeline() -> Compose {
    Compose::new()
        .then(AmplitudeScale::new(0.8, 1.2).unwrap())
        .then_with_probability(0.5, TimeShift::new(10, EdgeFill::Edge).unwrap())
        .unwrap()
        .then_with_probability(0.5, TimeWarp::new(0.1).unwrap())
        .unwrap()
        .then(BaselineWander::new(FS, (0.0, 0.1), (0.05, 0.5)).unwrap())
        .then(GaussianNoise::snr_db(20.0).unwrap())
}

#[test]
fn same_seed_same_result_different_seed_different_result() {
    let data: Vec<f32> = beats(32).concat();
    let run = |seed| {
        let mut batch = data.clone();
        pipeline()
            .apply_batch(&mut batch, BEAT_LEN, &mut AugmentState::new(seed))
            .unwrap();
        batch
    };
    assert_eq!(run(10), run(10));
    assert_ne!(run(10), run(11));
    assert_ne!(run(10), data);
}

#[test]
fn parallel_batches_do_not_depend_on_the_thread_count() {
    let data: Vec<f32> = beats(64).concat();
    let aug = pipeline();
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut batch = data.clone();
        pool.install(|| augment_batch_par(&aug, &mut batch, BEAT_LEN, 5))
            .unwrap();
        batch
    };
    let one = run(1);
    assert_eq!(one, run(3));
    // Beat i is beat i of a sequential run reseeded per beat.
    let mut state = AugmentState::new(0);
    let mut beat = data[BEAT_LEN * 7..BEAT_LEN * 8].to_vec();
    state.reseed(5, 7);
    aug.apply(&mut beat, &mut state);
    assert_eq!(beat, one[BEAT_LEN * 7..BEAT_LEN * 8]);
}

#[test]
fn compose_applies_each_step_with_its_probability() {
    let double = AmplitudeScale::new(2.0, 2.0).unwrap();
    let maybe = Compose::new().then_with_probability(0.3, double).unwrap();
    let mut state = AugmentState::new(8);
    let applied = (0..5000)
        .filter(|_| {
            let mut v = [1.0f32; 4];
            maybe.apply(&mut v, &mut state);
            v[0] == 2.0
        })
        .count();
    assert!((applied as f64 / 5000.0 - 0.3).abs() < 0.025, "{applied}");
    let mut v = [1.0f32; 4];
    Compose::new().apply(&mut v, &mut state);
    assert_eq!(v, [1.0; 4]);
    // Boxed augmentations are objects: a pipeline can be built from a list.
    let steps: Vec<Box<dyn Augment>> = vec![Box::new(double), Box::new(maybe)];
    let mut dynamic = Compose::new();
    for step in steps {
        dynamic.push(1.0, step).unwrap();
    }
    assert_eq!(dynamic.len(), 2);
    assert!(Compose::new().then_with_probability(1.5, double).is_err());
    assert!(
        Compose::new()
            .then_with_probability(f64::NAN, double)
            .is_err()
    );
}

#[test]
fn bad_parameters_and_batches_are_rejected() {
    let invalid = |r: Result<(), Error>| matches!(r, Err(Error::InvalidArgument { .. }));
    assert!(invalid(GaussianNoise::std(-1.0).map(drop)));
    assert!(invalid(GaussianNoise::std(f32::NAN).map(drop)));
    assert!(invalid(GaussianNoise::snr_db(f32::INFINITY).map(drop)));
    assert!(invalid(AmplitudeScale::new(1.2, 0.8).map(drop)));
    assert!(invalid(AmplitudeScale::new(-1.0, 1.0).map(drop)));
    assert!(invalid(
        BaselineWander::new(0.0, (0.1, 0.2), (0.1, 0.5)).map(drop)
    ));
    assert!(invalid(
        BaselineWander::new(FS, (0.2, 0.1), (0.1, 0.5)).map(drop)
    ));
    assert!(invalid(
        BaselineWander::new(FS, (0.1, 0.2), (0.0, 0.5)).map(drop)
    ));
    assert!(invalid(
        BaselineWander::new(FS, (0.1, 0.2), (0.1, 200.0)).map(drop)
    ));
    let wander = BaselineWander::new(FS, (0.1, 0.2), (0.1, 0.5)).unwrap();
    assert!(invalid(wander.with_components(0).map(drop)));
    assert!(invalid(TimeWarp::new(1.0).map(drop)));
    assert!(invalid(TimeWarp::new(0.1).unwrap().with_knots(1).map(drop)));
    assert!(invalid(
        TimeShift::new(usize::MAX, EdgeFill::Zero).map(drop)
    ));
    let aug = GaussianNoise::std(0.1).unwrap();
    let mut batch = vec![0.0f32; 10];
    let mut state = AugmentState::new(0);
    assert!(invalid(aug.apply_batch(&mut batch, 3, &mut state)));
    assert!(invalid(aug.apply_batch(&mut batch, 0, &mut state)));
    assert!(invalid(augment_batch_par(&aug, &mut batch, 4, 0)));
    // Degenerate beats are left alone rather than panicking.
    for len in 0..3 {
        let mut tiny = vec![1.0f32; len];
        pipeline().apply(&mut tiny, &mut state);
        assert_eq!(tiny.len(), len);
    }
}
