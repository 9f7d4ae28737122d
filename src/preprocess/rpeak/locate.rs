//! Moves detections from the energy envelope to the R-peak on the input signal.

/// For each envelope peak `c`, the sample of largest `|x - baseline|` within `radius` samples
/// of `c`, where `baseline` is the median of `x` within `baseline_radius` samples of `c`.
/// Output is strictly increasing (a location equal to or before the previous one is dropped);
/// a location on the first or last sample (a complex cut by an end) is dropped.
/// `scratch` is reused between beats.
pub(super) fn locate(
    x: &[f32],
    beats: &[usize],
    radius: usize,
    baseline_radius: usize,
    scratch: &mut Vec<f32>,
) -> Vec<usize> {
    let n = x.len();
    let mut out: Vec<usize> = Vec::with_capacity(beats.len());
    if n == 0 {
        return out;
    }
    for &c in beats {
        let c = c.min(n - 1);
        let lo = c.saturating_sub(baseline_radius);
        let hi = (c + baseline_radius).min(n - 1);
        scratch.clear();
        scratch.extend_from_slice(&x[lo..=hi]);
        let mid = scratch.len() / 2;
        let (_, median, _) = scratch.select_nth_unstable_by(mid, f32::total_cmp);
        let baseline = *median;
        let lo = c.saturating_sub(radius);
        let hi = (c + radius).min(n - 1);
        let mut best = c;
        let mut best_dev = f32::NEG_INFINITY;
        for (i, v) in x[lo..=hi].iter().enumerate() {
            let dev = (v - baseline).abs();
            if dev > best_dev {
                best_dev = dev;
                best = lo + i;
            }
        }
        // At the first or last sample the extremum is cut off: not a located R-peak.
        let cut = best == 0 || best == n - 1;
        if !cut && out.last().is_none_or(|&p| p < best) {
            out.push(best);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_positive_and_negative_extrema_around_the_hint() {
        let mut x = vec![1.0f32; 100]; // baseline 1.0
        x[20] = 3.0; // positive R
        x[60] = -2.5; // inverted complex (deflection 3.5)
        x[65] = 2.0; // smaller positive lobe next to it
        let mut scratch = Vec::new();
        let out = locate(&x, &[24, 58], 8, 30, &mut scratch);
        assert_eq!(out, vec![20, 60]);
    }

    #[test]
    fn duplicates_collapse_and_cut_complexes_are_dropped() {
        let mut x = vec![0.0f32; 30];
        x[2] = 5.0;
        x[28] = 3.0;
        x[29] = 4.0; // still rising at the end
        let mut scratch = Vec::new();
        assert_eq!(locate(&x, &[0, 4, 29], 5, 10, &mut scratch), vec![2]);
        x[29] = 2.0;
        assert_eq!(locate(&x, &[0, 4, 29], 5, 10, &mut scratch), vec![2, 28]);
        assert!(locate(&[], &[3], 5, 10, &mut scratch).is_empty());
    }
}
