//! Known answers for the polynomial `exp`, the gate steps and the flush guard.
use super::*;
use crate::model::recurrence::flush::FlushDenormals;

/// One row's step as `step_infer_body` takes it: gates, addend, cell, output, next input.
type RowStep = dyn Fn(&mut [f32], Addend<'_>, &mut [f32], &mut [f32], &mut [f32]);

#[test]
fn exp_matches_libm_within_a_few_ulps() {
    let mut worst = 0.0f64;
    for k in -8700..=8700 {
        let x = k as f32 * 0.01;
        let want = (x as f64).exp();
        let rel = ((exp(x) as f64 - want) / want).abs();
        worst = worst.max(rel);
    }
    assert!(worst < 5e-7, "worst relative error {worst}");
    assert!(exp(-1000.0) == exp(-87.0) && exp(-87.0) > 0.0);
    assert!(exp(1000.0).is_finite());
}

#[test]
fn sigmoid_and_tanh_saturate_without_nan() {
    for x in [-1e30f32, -100.0, -30.0, 0.0, 30.0, 100.0, 1e30] {
        assert!(sigmoid(x).is_finite() && tanh(x).is_finite(), "{x}");
    }
    assert_eq!(sigmoid(0.0), 0.5);
    assert!((tanh(0.5) - 0.5f32.tanh()).abs() < 1e-6);
    assert!((tanh(-3.0) - (-3.0f32).tanh()).abs() < 1e-6);
    assert!(sigmoid(-100.0) < 1e-37 && sigmoid(100.0) == 1.0);
}

#[test]
fn a_step_matches_the_textbook_formulas() {
    let h = 3;
    let pre: Vec<f32> = (0..4 * h).map(|k| (k as f32 - 5.5) * 0.37).collect();
    let c_prev = [0.3f32, -1.2, 2.0];
    let (mut gates, mut cell, mut hidden, mut next) = (pre.clone(), c_prev, [0.0f32; 3], [0.0; 3]);
    step_forward(&mut gates, &mut cell, &mut hidden, &mut next);
    assert_eq!(hidden, next);
    let s = |x: f32| 1.0 / (1.0 + (-x).exp());
    for j in 0..h {
        let (i, f, g, o) = (
            s(pre[j]),
            s(pre[h + j]),
            pre[2 * h + j].tanh(),
            s(pre[3 * h + j]),
        );
        let c = f * c_prev[j] + i * g;
        assert!((cell[j] - c).abs() < 1e-6);
        assert!((hidden[j] - o * c.tanh()).abs() < 1e-6);
        assert!((gates[2 * h + j] - g).abs() < 1e-6);
    }
}

/// Every compiled variant (plain, AVX2, AVX-512) gives the same bits: no FMA contraction.
#[test]
#[cfg(target_arch = "x86_64")]
fn every_simd_variant_agrees_with_the_plain_loop() {
    let (n, h) = (3, 37);
    let pre: Vec<f32> = (0..n * 4 * h)
        .map(|k| ((k * 7919) % 97) as f32 * 0.13 - 6.0)
        .collect();
    let c_prev: Vec<f32> = (0..n * h).map(|k| (k % 41) as f32 * 0.21 - 4.0).collect();
    let own: Vec<f32> = (0..n * 4 * h)
        .map(|k| (k % 13) as f32 * 0.05 - 0.3)
        .collect();
    let shared: Vec<f32> = (0..4 * h).map(|k| (k % 7) as f32 * 0.11 - 0.2).collect();
    // Runs `row` over the n rows, half of them with an own projection.
    let run = |row: &RowStep| {
        let (mut g, mut c) = (pre.clone(), c_prev.clone());
        let (mut out, mut next) = (vec![0.0; n * h], vec![0.0; n * h]);
        for r in 0..n {
            let addend = Addend {
                own: if r % 2 == 0 {
                    &own[r * 4 * h..][..4 * h]
                } else {
                    &[]
                },
                shared: &shared,
            };
            let (c, o, x) = (
                &mut c[r * h..][..h],
                &mut out[r * h..][..h],
                &mut next[r * h..][..h],
            );
            row(&mut g[r * 4 * h..][..4 * h], addend, c, o, x);
        }
        assert_eq!(out, next);
        (g, c, out)
    };
    let plain = run(&|g, _, c, o, x| step_forward_body(g, c, o, x));
    let plain_infer = run(&|g, a, c, o, x| step_infer_body(g, a, c, o, x));
    let mut variants = vec![(
        run(&|g, _, c, o, x| step_forward(g, c, o, x)),
        run(&|g, a, c, o, x| step_infer(g, a, c, o, x)),
    )];
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: features checked above.
        variants.push(unsafe {
            (
                run(&|g, _, c, o, x| step_forward_avx2(g, c, o, x)),
                run(&|g, a, c, o, x| step_infer_avx2(g, a, c, o, x)),
            )
        });
    }
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: feature checked above.
        variants.push(unsafe {
            (
                run(&|g, _, c, o, x| step_forward_avx512(g, c, o, x)),
                run(&|g, a, c, o, x| step_infer_avx512(g, a, c, o, x)),
            )
        });
    }
    for (forward, infer) in &variants {
        assert_eq!(forward, &plain);
        assert_eq!(infer, &plain_infer);
    }
    let saved = [
        Strided {
            values: &plain.0,
            stride: 4 * h,
        },
        Strided {
            values: &c_prev,
            stride: h,
        },
        Strided {
            values: &plain.1,
            stride: h,
        },
    ];
    let backward = |row: BackwardRow| {
        let (mut dc, mut dg) = (c_prev.clone(), vec![0.0; n * 4 * h]);
        backward_rows_with(h, saved, &plain.2, &mut dc, &mut dg, 4 * h, row);
        (dc, dg)
    };
    assert_eq!(backward(step_backward), backward(step_backward_body));
}

/// The two-division inference step equals the training step's `c` and `h`, saturated
/// gates included.
#[test]
fn the_inference_step_matches_the_training_step() {
    let h = 64;
    let mut worst = 0.0f32;
    for seed in 0..50u32 {
        let spread = [0.5f32, 3.0, 40.0][seed as usize % 3];
        let value = |k: usize| {
            let u = ((k as u32).wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503)) % 10_000;
            (u as f32 / 5_000.0 - 1.0) * spread
        };
        let pre: Vec<f32> = (0..4 * h).map(value).collect();
        let c_prev: Vec<f32> = (0..h).map(|k| value(k + 7919) * 0.5).collect();
        let addend = Addend {
            own: &[],
            shared: &[0.0; 256],
        };
        let (mut gates, mut c_train, mut h_train) = (pre.clone(), c_prev.clone(), vec![0.0; h]);
        step_forward(&mut gates, &mut c_train, &mut h_train, &mut vec![0.0; h]);
        let (mut c_infer, mut h_infer) = (c_prev.clone(), vec![0.0; h]);
        let mut pre_infer = pre.clone();
        step_infer(
            &mut pre_infer,
            addend,
            &mut c_infer,
            &mut h_infer,
            &mut vec![0.0; h],
        );
        for j in 0..h {
            let scale = 1.0f32.max(c_train[j].abs());
            worst = worst.max((c_train[j] - c_infer[j]).abs() / scale);
            worst = worst.max((h_train[j] - h_infer[j]).abs());
        }
    }
    assert!(worst < 2e-6, "worst difference {worst:e}");
}

#[test]
fn the_guard_flushes_subnormals_and_restores_the_mode() {
    let tiny = std::hint::black_box(f32::MIN_POSITIVE);
    assert!((tiny * 0.5) > 0.0, "subnormals exist outside the guard");
    {
        let _guard = FlushDenormals::new();
        assert_eq!(std::hint::black_box(tiny) * 0.5, 0.0);
    }
    assert!((std::hint::black_box(tiny) * 0.5) > 0.0);
}
