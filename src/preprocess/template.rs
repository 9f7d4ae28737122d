//! How far each beat's shape is from its recording's typical beat, without a model.
//!
//! Most beats of any recording are normal, so the per-sample median of a recording's beats is
//! its normal beat, in that patient's own morphology. A ventricular beat is wide and differently
//! shaped, so it correlates poorly with it; a normal beat of the same patient correlates
//! almost perfectly, however unlike the beats of other patients it is. [`template_distances`]
//! gives `1 - r`, `r` being Pearson's correlation of a beat with its recording's median beat.

use std::collections::HashMap;

use crate::{Error, Result};

/// Fewest beats a recording needs for its median beat to stand for its normal beat.
pub const MIN_TEMPLATE_BEATS: usize = 20;

/// For each of the beats in `beats` (`groups.len()` beats of `len` values each, one after the
/// other), `1 - r` with the per-sample median beat of its group (its recording): 0 for a beat
/// shaped like the median, up to 2. `None` for beats of groups with fewer than
/// [`MIN_TEMPLATE_BEATS`] beats or a flat median; a flat beat is `Some(1.0)` (uncorrelated).
///
/// Errors: `len` 0, or `beats` not `groups.len() * len` values. O(n · len) time; one median
/// beat and one column of one group's values at a time beside the output.
pub fn template_distances(beats: &[f32], len: usize, groups: &[usize]) -> Result<Vec<Option<f64>>> {
    if len == 0 || Some(beats.len()) != groups.len().checked_mul(len) {
        let msg = format!(
            "{} values are not {} beats of {len} samples",
            beats.len(),
            groups.len()
        );
        return Err(Error::invalid("beats", msg));
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &g) in groups.iter().enumerate() {
        members.entry(g).or_default().push(i);
    }
    let mut out = vec![None; groups.len()];
    let mut template = vec![0.0f32; len];
    let mut column = Vec::new();
    for indices in members.values() {
        if indices.len() < MIN_TEMPLATE_BEATS {
            continue;
        }
        for (t, value) in template.iter_mut().enumerate() {
            column.clear();
            column.extend(indices.iter().map(|&i| beats[i * len + t]));
            let mid = column.len() / 2;
            *value = *column.select_nth_unstable_by(mid, f32::total_cmp).1;
        }
        let Some(centred) = centred(&template) else {
            continue; // a flat median beat: nothing to correlate with
        };
        for &i in indices {
            let beat = &beats[i * len..(i + 1) * len];
            out[i] = Some(1.0 - correlation(&centred, beat));
        }
    }
    Ok(out)
}

/// `x` minus its mean, scaled to unit norm; `None` when `x` is flat.
fn centred(x: &[f32]) -> Option<Vec<f64>> {
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / x.len() as f64;
    let centred: Vec<f64> = x.iter().map(|&v| v as f64 - mean).collect();
    let norm = centred.iter().map(|v| v * v).sum::<f64>().sqrt();
    (norm > 0.0 && norm.is_finite()).then(|| centred.iter().map(|v| v / norm).collect())
}

/// Pearson's correlation of `beat` with a [`centred`] template; 0 for a flat beat.
fn correlation(template: &[f64], beat: &[f32]) -> f64 {
    let mean = beat.iter().map(|&v| v as f64).sum::<f64>() / beat.len() as f64;
    let (mut dot, mut norm) = (0.0, 0.0);
    for (&t, &b) in template.iter().zip(beat) {
        let b = b as f64 - mean;
        dot += t * b;
        norm += b * b;
    }
    let r = dot / norm.sqrt();
    if r.is_finite() {
        r.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Gaussian bump of width `w` at `c` on `len` samples, scaled and offset.
    fn bump(len: usize, c: f32, w: f32, scale: f32, offset: f32) -> Vec<f32> {
        (0..len)
            .map(|t| offset + scale * (-((t as f32 - c) / w).powi(2)).exp())
            .collect()
    }

    #[test]
    fn a_wide_beat_is_far_from_its_recordings_normal_beats_whatever_their_scale() {
        let len = 64;
        let mut beats = Vec::new();
        let mut groups = Vec::new();
        // Record 0: narrow beats of amplitude ~1; record 1: the same shape at 3x and offset
        // (another patient's lead gain); each with one wide (ventricular-like) beat.
        for (g, scale, offset) in [(0, 1.0, 0.0), (1, 3.0, -2.0)] {
            for k in 0..30 {
                let wide = k == 17;
                let w = if wide { 12.0 } else { 3.0 + 0.01 * k as f32 };
                beats.extend(bump(len, 32.0, w, scale, offset));
                groups.push(g);
            }
        }
        let d = template_distances(&beats, len, &groups).unwrap();
        for g in 0..2 {
            let normal = d[g * 30];
            let wide = d[g * 30 + 17];
            assert!(normal.unwrap() < 0.01, "{normal:?}");
            assert!(wide.unwrap() > 0.2, "{wide:?}");
        }
        // Scale and offset do not matter: both records' normal beats are as close.
        assert!((d[0].unwrap() - d[30].unwrap()).abs() < 1e-6);
    }

    #[test]
    fn small_recordings_have_no_template_and_bad_shapes_are_errors() {
        let beats = bump(10, 5.0, 2.0, 1.0, 0.0).repeat(5);
        let d = template_distances(&beats, 10, &[0; 5]).unwrap();
        assert_eq!(d, vec![None; 5]);
        assert!(template_distances(&beats, 10, &[0; 4]).is_err());
        assert!(template_distances(&beats, 0, &[]).is_err());
        // A flat beat among normal ones is uncorrelated, not NaN.
        let mut beats = bump(10, 5.0, 2.0, 1.0, 0.0).repeat(25);
        beats[..10].fill(0.5);
        let d = template_distances(&beats, 10, &[0; 25]).unwrap();
        assert_eq!(d[0], Some(1.0));
        assert!(d.iter().all(|v| v.is_some_and(f64::is_finite)));
    }
}
