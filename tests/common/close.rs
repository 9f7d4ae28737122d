//! Comparing tensors in tests: a fused operation against its plain-ops oracle, say.

use burn::tensor::Tensor;

/// The values of a float tensor, as `f32`.
pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

/// Asserts equal shapes, finite values and `|a - b| <= tol * max(1, max |b|)` element-wise.
pub fn assert_close<const D: usize>(what: &str, a: Tensor<D>, b: Tensor<D>, tol: f32) {
    assert_eq!(a.dims(), b.dims(), "{what}: shapes differ");
    let (a, b) = (values(a), values(b));
    let finite = a.iter().chain(&b).all(|v| v.is_finite());
    assert!(finite, "{what}: non-finite values");
    let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    assert!(
        diff <= tol * scale,
        "{what}: max |diff| {diff:e} > {tol:e} x {scale}"
    );
}
