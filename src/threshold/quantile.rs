//! Order statistics behind the threshold rules: numpy's linear-interpolation quantile and the
//! population mean and standard deviation.

/// The `p`-quantile (`0 <= p <= 1`) of non-empty, finite `scores`, exactly as numpy's default
/// (`method="linear"`, R type 7): virtual index `h = (n - 1) p`, then linear interpolation
/// between the order statistics `x[floor(h)]` and `x[floor(h) + 1]`, with numpy's two-sided
/// `lerp` so that `p = 0` and `p = 1` give the minimum and maximum exactly. O(n) by selection.
pub(crate) fn quantile(scores: &[f64], p: f64) -> f64 {
    let n = scores.len();
    let mut sorted = scores.to_vec();
    let index = (n - 1) as f64 * p;
    // numpy clips an index at or past the last element to the maximum.
    if index >= (n - 1) as f64 {
        return sorted.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    }
    let below = index.floor() as usize;
    let (_, lower, rest) = sorted.select_nth_unstable_by(below, f64::total_cmp);
    let lower = *lower;
    let upper = rest.iter().copied().fold(f64::INFINITY, f64::min);
    lerp(lower, upper, index - below as f64)
}

/// numpy's `_lerp`: `a + (b - a) t`, computed from `b`'s side when `t >= 0.5` (exact ends).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Mean and population standard deviation (divisor `n`, numpy's default `ddof=0`) of
/// non-empty `scores`, in two passes for accuracy.
pub(crate) fn mean_std(scores: &[f64]) -> (f64, f64) {
    let n = scores.len() as f64;
    let mean = scores.iter().sum::<f64>() / n;
    let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_ends_are_min_and_max_exactly() {
        let x = [0.3, -1.25, 7.5, 2.0];
        assert_eq!(quantile(&x, 0.0), -1.25);
        assert_eq!(quantile(&x, 1.0), 7.5);
        assert_eq!(quantile(&[4.0], 0.37), 4.0);
    }

    #[test]
    fn lerp_is_exact_at_both_ends_and_midpoint() {
        assert_eq!(lerp(0.1, 0.7, 0.0), 0.1);
        assert_eq!(lerp(0.1, 0.7, 1.0), 0.7);
        assert_eq!(lerp(1.0, 3.0, 0.5), 2.0);
    }

    #[test]
    fn mean_std_is_the_population_one() {
        // Mean 5, squared deviations sum to 32 over 8 values: variance 4.
        assert_eq!(
            mean_std(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]),
            (5.0, 2.0)
        );
    }
}
