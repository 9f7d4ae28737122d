//! Known-answer tests for the filters. Reference values come from SciPy 1.17.1
//! (`scipy.signal.butter(..., output='sos', fs=360)`, `iirnotch`, `sosfiltfilt`, `filtfilt`).

use super::*;
use crate::Error;
use std::f64::consts::PI;

const FS: f64 = 360.0;

fn sine(freq: f64, fs: f64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (2.0 * PI * freq * i as f64 / fs).sin() as f32)
        .collect()
}

fn assert_sections(got: &[Biquad], scipy: &[f64]) {
    assert_eq!(got.len() * 6, scipy.len());
    for (s, want) in got.iter().zip(scipy.chunks(6)) {
        for (g, w) in s.b.iter().chain(&s.a).zip(want) {
            assert!((g - w).abs() < 1e-12, "{:?} vs {:?}", s, want);
        }
    }
}

/// Amplitude of the `freq` component over the middle half (away from the edge transients),
/// by projection on sin/cos over a whole number of periods.
fn mid_amplitude(x: &[f32], freq: f64, fs: f64) -> f64 {
    let period = fs / freq;
    let periods = ((x.len() / 2) as f64 / period).floor().max(1.0);
    let (a, len) = (x.len() / 4, (periods * period).round() as usize);
    let (mut re, mut im) = (0.0, 0.0);
    for (i, v) in x[a..a + len].iter().enumerate() {
        let phase = 2.0 * PI * freq * (a + i) as f64 / fs;
        re += f64::from(*v) * phase.cos();
        im += f64::from(*v) * phase.sin();
    }
    2.0 * re.hypot(im) / len as f64
}

#[test]
fn butterworth_sections_equal_scipy() {
    // butter(1, [0.5, 40], 'bandpass', output='sos', fs=360)
    let bp1 = [
        0.26418469061438943,
        0.0,
        -0.26418469061438943,
        1.0,
        -1.4669637494250396,
        0.47163061877122103,
    ];
    // butter(2, [0.5, 40], 'bandpass', output='sos', fs=360)
    let bp2 = [
        0.0787623532949336,
        0.1575247065898672,
        0.0787623532949336,
        1.0,
        -1.0670924286357562,
        0.3842342474414504,
        1.0,
        -2.0,
        1.0,
        1.0,
        -1.9876642211058113,
        0.9877417210094565,
    ];
    // butter(4, [0.5, 40], 'bandpass', output='sos', fs=360)
    let bp4 = [
        0.0066048756713110845,
        0.013209751342622169,
        0.0066048756713110845,
        1.0,
        -0.9789490692400146,
        0.26401065276475083,
        1.0,
        2.0,
        1.0,
        1.0,
        -1.2374771035208822,
        0.6124788199281044,
        1.0,
        -2.0,
        1.0,
        1.0,
        -1.9836536734559507,
        0.9837324068997566,
        1.0,
        -2.0,
        1.0,
        1.0,
        -1.9933805831040043,
        0.9934570028223977,
    ];
    // butter(2, 0.5, 'highpass', output='sos', fs=360)
    let hp2 = [
        0.9938483285621093,
        -1.9876966571242185,
        0.9938483285621093,
        1.0,
        -1.987658813704708,
        0.9877345005437297,
    ];
    // butter(3, 40, 'lowpass', output='sos', fs=360)
    let lp3 = [
        0.02362283835860228,
        0.04724567671720456,
        0.02362283835860228,
        1.0,
        -0.4663076581549986,
        0.0,
        1.0,
        1.0,
        0.0,
        1.0,
        -1.1594491215430491,
        0.5135533348722032,
    ];
    assert_sections(
        &BandPass::default().with_order(1).sections(FS).unwrap(),
        &bp1,
    );
    assert_sections(&BandPass::default().sections(FS).unwrap(), &bp2);
    assert_sections(
        &BandPass::default().with_order(4).sections(FS).unwrap(),
        &bp4,
    );
    assert_sections(&HighPass::new(0.5).sections(FS).unwrap(), &hp2);
    assert_sections(
        &LowPass::new(40.0).with_order(3).sections(FS).unwrap(),
        &lp3,
    );
}

#[test]
fn notch_section_equals_scipy() {
    // iirnotch(50, 30, fs=360)
    let b = [0.9856631003631311, -1.2671440564772811, 0.9856631003631311];
    let a = [1.0, -1.2671440564772811, 0.9713262007262622];
    let s = Notch::default().section(FS).unwrap();
    for (g, w) in s.b.iter().chain(&s.a).zip(b.iter().chain(&a)) {
        assert!((g - w).abs() < 1e-14);
    }
}

#[test]
fn magnitude_matches_analytic_butterworth() {
    // Bilinear Butterworth: with W = tan(pi f / fs), |H|² = 1 / (1 + r^(2N)), where
    // r = W/Wc (low-pass), Wc/W (high-pass), (W² - W1 W2) / (W (W2 - W1)) (band-pass).
    let w = |f: f64| (PI * f / FS).tan();
    for order in [1, 2, 4] {
        let bp = BandPass::default().with_order(order).sections(FS).unwrap();
        let hp = HighPass::new(0.5).with_order(order).sections(FS).unwrap();
        let lp = LowPass::new(40.0).with_order(order).sections(FS).unwrap();
        let n2 = 2 * order as i32;
        for f in [0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 40.0, 60.0, 100.0, 170.0] {
            let r_bp = (w(f).powi(2) - w(0.5) * w(40.0)) / (w(f) * (w(40.0) - w(0.5)));
            let cases = [
                (&bp, 1.0 / (1.0 + r_bp.powi(n2))),
                (&hp, 1.0 / (1.0 + (w(0.5) / w(f)).powi(n2))),
                (&lp, 1.0 / (1.0 + (w(f) / w(40.0)).powi(n2))),
            ];
            for (sections, want) in cases {
                let got = cascade_magnitude(sections, f, FS).powi(2);
                assert!(
                    (got - want).abs() < 1e-9 * want.max(1e-3),
                    "order {order} f {f}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn bandpass_keeps_10hz_sine_without_phase_shift() {
    let x = sine(10.0, FS, 36_000);
    let y = BandPass::default().apply(&x, FS).unwrap();
    let want = cascade_magnitude(&BandPass::default().sections(FS).unwrap(), 10.0, FS).powi(2);
    let amp = mid_amplitude(&y, 10.0, FS);
    assert!(
        (amp - 1.0).abs() < 0.01 && (amp - want).abs() < 1e-3,
        "amplitude {amp}"
    );
    // Zero phase: the filtered sine equals the input (scaled) sample by sample, so every crest
    // stays on the same sample.
    for i in 9000..27_000 {
        assert!(
            (f64::from(y[i]) - want * f64::from(x[i])).abs() < 2e-4,
            "sample {i}"
        );
    }
}

#[test]
fn bandpass_attenuates_out_of_band_sines_by_h_squared() {
    let sections = BandPass::default().sections(FS).unwrap();
    for (freq, n) in [(0.1, 36_000 * 4), (100.0, 36_000)] {
        let y = BandPass::default().apply(&sine(freq, FS, n), FS).unwrap();
        let want = cascade_magnitude(&sections, freq, FS).powi(2);
        let got = mid_amplitude(&y, freq, FS);
        assert!(
            (got / want - 1.0).abs() < 0.02,
            "{freq} Hz: {got} vs {want}"
        );
        assert!(want < 0.01);
    }
}

#[test]
fn notch_removes_50hz_keeps_10hz() {
    let x10 = sine(10.0, FS, 3600);
    let mixed: Vec<f32> = sine(50.0, FS, 3600)
        .iter()
        .zip(&x10)
        .map(|(a, b)| a + b)
        .collect();
    let y = Notch::default().apply(&mixed, FS).unwrap();
    for i in 900..2700 {
        assert!(
            (y[i] - x10[i]).abs() < 1e-2,
            "sample {i}: {} vs {}",
            y[i],
            x10[i]
        );
    }
    let y50 = Notch::default().apply(&sine(50.0, FS, 3600), FS).unwrap();
    assert!(mid_amplitude(&y50, 50.0, FS) < 1e-3);
    assert!((mid_amplitude(&y, 10.0, FS) - 1.0).abs() < 1e-3);
}

// rng = numpy.random.default_rng(7); x = rng.standard_normal(64).astype(float32)
const RANDOM_64: [f32; 64] = [
    0.001230153371579945,
    0.2987455427646637,
    -0.27413785457611084,
    -0.8905918598175049,
    -0.454670786857605,
    -0.9916465282440186,
    0.0601436011493206,
    1.3402152061462402,
    -0.49220651388168335,
    -0.6204748749732971,
    0.4898420572280884,
    0.35688701272010803,
    0.1054142490029335,
    -0.9304680228233337,
    -0.02925182320177555,
    0.695303201675415,
    -1.3442145586013794,
    -0.45761576294898987,
    -1.9012227058410645,
    -1.289537787437439,
    -1.8417350053787231,
    -0.23509113490581512,
    -1.267446517944336,
    0.27126434445381165,
    0.15675108134746552,
    -0.18693093955516815,
    -2.5167596340179443,
    -0.5386928915977478,
    -0.048500943928956985,
    0.11330898851156235,
    -1.5301357507705688,
    -0.47775328159332275,
    -0.978519082069397,
    -0.8088372349739075,
    1.0608986616134644,
    -0.8075346946716309,
    -0.03252170607447624,
    0.8843898773193359,
    -0.5836004614830017,
    -0.11170195043087006,
    0.11046414077281952,
    0.06378177553415298,
    -1.2250558137893677,
    0.07614023238420486,
    1.3588234186172485,
    -1.5471446514129639,
    0.859382688999176,
    0.11935402452945709,
    -0.6414703726768494,
    2.0004165172576904,
    0.7622597217559814,
    -1.1992888450622559,
    0.07451622933149338,
    0.576689600944519,
    -0.18878212571144104,
    0.6829102635383606,
    -0.06651732325553894,
    0.6672475337982178,
    1.4385225772857666,
    -0.6756622791290283,
    0.20313860476016998,
    -0.46330758929252625,
    0.12726841866970062,
    -1.187194585800171,
];

#[test]
fn filtfilt_equals_scipy_on_random_signal() {
    // sosfiltfilt(butter(2, [0.5, 40], 'bandpass', output='sos', fs=360), x)
    let bandpass = [
        1.1985300862760404,
        1.0353492726310642,
        0.882604972668372,
        0.7875676618757792,
        0.805718938782517,
        0.9476460659485165,
        1.1518293856568944,
        1.3165832436168625,
        1.3954499048862625,
        1.4290693507190377,
        1.453315983770063,
        1.4480806052717043,
        1.3960542524179849,
        1.3151661236777548,
        1.2055318223913853,
        1.0255326097022113,
        0.7619799085684373,
        0.47792317095097137,
        0.2727552804040664,
        0.2266716390196537,
        0.36046821402663853,
        0.6192212706443881,
        0.9008711883725201,
        1.0981817422757367,
        1.1399415910336326,
        1.05173294691983,
        0.9577667104198616,
        0.9534363852326271,
        1.0044521976976268,
        1.0289827452499627,
        1.025048784557466,
        1.0594190342342025,
        1.1813272376325108,
        1.3793341546847975,
        1.5908165938732068,
        1.757868136485855,
        1.8629561724906822,
        1.9006149676765594,
        1.8764456810002779,
        1.823511404714341,
        1.7720247317432611,
        1.742967973973118,
        1.7682909095968524,
        1.8537052218749797,
        1.956928721920408,
        2.0564420963084253,
        2.1725875558063765,
        2.309402548218693,
        2.435459525201674,
        2.4894022931276627,
        2.4311228356134382,
        2.3239608785268344,
        2.2774072820320828,
        2.325368031319943,
        2.4357862272549986,
        2.5737493679128542,
        2.7073877613643793,
        2.789449599688104,
        2.7673647580669662,
        2.629196629359839,
        2.4049894366943465,
        2.106146214094043,
        1.7152755242727793,
        1.2481247938169786,
    ];
    // filtfilt(*iirnotch(50, 30, fs=360), x)
    let notch = [
        -0.043908188167483014,
        0.2550782270719449,
        -0.2831214233186396,
        -0.855688427592084,
        -0.39922534765132855,
        -0.9557968233486879,
        0.04863768990089419,
        1.2878344270965787,
        -0.5483492062991848,
        -0.6398103699882964,
        0.5223800943987983,
        0.41983552541724495,
        0.1545364055332677,
        -0.9316142615180697,
        -0.08228787690993936,
        0.6270940420969026,
        -1.3781589533772036,
        -0.43151524187020596,
        -1.832287394726647,
        -1.2266434418181364,
        -1.8306752612980082,
        -0.284879266376428,
        -1.3429789076146657,
        0.22437091026166459,
        0.1732235230670876,
        -0.11788715453847831,
        -2.44531909482823,
        -0.5179706772565178,
        -0.09407115773784379,
        0.03529129312915373,
        -1.5832496230142796,
        -0.46745502618302526,
        -0.9125995470288526,
        -0.7354610652105811,
        1.0886490573032082,
        -0.8449813385258922,
        -0.10810159606612903,
        0.8251949046615993,
        -0.5836074586806654,
        -0.05291801316583328,
        0.1852760307193946,
        0.10080938526547542,
        -1.2524354272229714,
        0.004007924348933795,
        1.2946047347522254,
        -1.556516998523521,
        0.9111533899624773,
        0.19441570644915834,
        -0.5976956549582962,
        1.9812800324521034,
        0.6949777622329663,
        -1.2659563374960094,
        0.05547884751564096,
        0.6184883742722178,
        -0.11580441003399436,
        0.7352139415409686,
        -0.07204885474957563,
        0.6077615505957827,
        1.3675784438730036,
        -0.7075630466396723,
        0.2322941734502063,
        -0.3943977037114353,
        0.18710254081502173,
        -1.178427459119947,
    ];
    let got_bp = BandPass::default().apply(&RANDOM_64, FS).unwrap();
    let got_notch = Notch::default().apply(&RANDOM_64, FS).unwrap();
    for (got, want) in [(got_bp, &bandpass[..]), (got_notch, &notch[..])] {
        assert_eq!(got.len(), 64);
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((f64::from(*g) - w).abs() < 1e-5, "sample {i}: {g} vs {w}");
        }
    }
}

#[test]
fn median_baseline_removes_slow_wander_from_spike_train() {
    let n = 10 * 360;
    // Respiration-like 0.15 Hz sway plus a linear drift of 0.1 mV/s.
    let wander = |i: usize| {
        let t = i as f64 / FS;
        (0.5 * (2.0 * PI * 0.15 * t).sin() + 0.1 * t) as f32
    };
    let spikes: Vec<f32> = (0..n)
        .map(|i| if i % 300 < 10 { 1.5 } else { 0.0 })
        .collect();
    let x: Vec<f32> = spikes
        .iter()
        .enumerate()
        .map(|(i, s)| s + wander(i))
        .collect();
    let y = MedianBaseline::default().apply(&x, FS).unwrap();
    let base = MedianBaseline::default().baseline(&x, FS).unwrap();
    // Away from the edges, where the truncated windows lag a sloped baseline.
    for i in 150..n - 150 {
        // The wander bends little over a 0.3 s half-window, and 10 spike samples shift the
        // rank of the median by a few samples of slope: the estimate stays within 0.02.
        assert!(
            (base[i] - wander(i)).abs() < 0.02,
            "sample {i}: {} vs {}",
            base[i],
            wander(i)
        );
        assert!((y[i] - spikes[i]).abs() < 0.02, "sample {i}");
    }
}

#[test]
fn moving_median_matches_brute_force_and_short_signals() {
    let x: Vec<f32> = (0..200)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.1)
        .collect();
    for window in [1, 2, 5, 8, 73, 401] {
        let got = moving_median(&x, window).unwrap();
        let half = window / 2;
        for i in 0..x.len() {
            let mut w = x[i.saturating_sub(half)..(i + half + 1).min(x.len())].to_vec();
            w.sort_by(f32::total_cmp);
            let m = w.len() / 2;
            let want = if w.len() % 2 == 0 {
                0.5 * (w[m - 1] + w[m])
            } else {
                w[m]
            };
            assert_eq!(got[i], want, "window {window} sample {i}");
        }
    }
    assert_eq!(moving_median(&[3.0], 217).unwrap(), vec![3.0]);
    assert_eq!(moving_median(&[1.0, 5.0, 2.0], 217).unwrap(), vec![2.0; 3]);
    assert!(MedianBaseline::default().apply(&[1.0, 2.0], FS).is_ok());
}

#[test]
fn invalid_arguments_are_errors() {
    let x = sine(10.0, FS, 1000);
    let invalid = |r: crate::Result<Vec<f32>>, want: &str| match r {
        Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, want),
        other => panic!("expected invalid {want}, got {other:?}"),
    };
    invalid(BandPass::new(0.5, 180.0).apply(&x, FS), "high_hz");
    invalid(BandPass::new(40.0, 0.5).apply(&x, FS), "low_hz");
    invalid(BandPass::new(0.0, 40.0).apply(&x, FS), "low_hz");
    invalid(BandPass::default().with_order(0).apply(&x, FS), "order");
    invalid(BandPass::default().with_order(9).apply(&x, FS), "order");
    invalid(HighPass::new(200.0).apply(&x, FS), "cutoff_hz");
    invalid(LowPass::new(f64::NAN).apply(&x, FS), "cutoff_hz");
    invalid(LowPass::default().apply(&x, 0.0), "fs");
    invalid(LowPass::default().apply(&x, -360.0), "fs");
    invalid(Notch::new(60.0).apply(&x, 100.0), "freq_hz");
    invalid(Notch::default().with_quality(0.0).apply(&x, FS), "quality");
    invalid(
        MedianBaseline {
            first_ms: 0.0,
            second_ms: 600.0,
        }
        .apply(&x, FS),
        "first_ms",
    );
    invalid(BandPass::default().apply(&[], FS), "signal");
    // Two sections: SciPy pads 3 * (2 * 2 + 1) = 15 samples at each end.
    invalid(BandPass::default().apply(&x[..15], FS), "signal");
    assert!(BandPass::default().apply(&x[..16], FS).is_ok());
    let mut nan = x.clone();
    nan[123] = f32::NAN;
    for filter in [
        &BandPass::default() as &dyn SignalFilter,
        &Notch::default(),
        &MedianBaseline::default(),
    ] {
        assert!(matches!(
            filter.apply(&nan, FS),
            Err(Error::Signal { sample: 123, .. })
        ));
    }
}

#[test]
fn chain_applies_filters_in_order() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    let chain = FilterChain::new()
        .then(Notch::default())
        .then(BandPass::default());
    assert_send_sync(&chain);
    assert_eq!(chain.len(), 2);
    let x: Vec<f32> = (0..3600)
        .map(|i| RANDOM_64[i % 64] + (i as f32 * 0.001))
        .collect();
    let by_hand = BandPass::default()
        .apply(&Notch::default().apply(&x, FS).unwrap(), FS)
        .unwrap();
    assert_eq!(chain.apply(&x, FS).unwrap(), by_hand);
    assert_eq!(FilterChain::new().apply(&x, FS).unwrap(), x);
}
