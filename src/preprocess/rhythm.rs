//! Rhythm context of each beat: its RR intervals, relative to the record's usual RR.
//!
//! A premature supraventricular beat often looks normal; what gives it away is its timing.
//! [`rr_intervals`] measures, for every beat of a train of R-peaks, the interval from the
//! previous beat, to the next one, and the mean of the last [`LOCAL_BEATS`] intervals, each
//! also divided by the median RR of the whole train ([`RrIntervals::relative`]).

use serde::{Deserialize, Serialize};

use crate::preprocess::check::check_fs;
use crate::{Error, Result};

/// Intervals averaged into [`RrIntervals::local_mean_s`].
pub const LOCAL_BEATS: usize = 10;

/// The RR intervals around one beat, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RrIntervals {
    /// From the previous beat to this one; `None` for the first beat.
    pub previous_s: Option<f64>,
    /// From this beat to the next; `None` for the last beat.
    pub next_s: Option<f64>,
    /// Mean of the (up to) [`LOCAL_BEATS`] intervals ending at this beat; `None` for the first.
    pub local_mean_s: Option<f64>,
    /// Median RR interval of the whole train, the record's usual rhythm; `None` for a lone beat.
    pub median_s: Option<f64>,
}

impl RrIntervals {
    /// `[previous, next, local mean]` divided by the median RR: 1 is the record's usual
    /// rhythm, 0.7 a beat 30 % early. A missing interval reads as 1 (nothing unusual).
    pub fn relative(&self) -> [f64; 3] {
        let scale = |v: Option<f64>| match (v, self.median_s) {
            (Some(v), Some(median)) => v / median,
            _ => 1.0,
        };
        [
            scale(self.previous_s),
            scale(self.next_s),
            scale(self.local_mean_s),
        ]
    }

    /// How much earlier than the record's usual rhythm the beat came: `1 - previous / median`
    /// (0 for the first beat; negative for a late beat).
    pub fn prematurity(&self) -> f64 {
        1.0 - self.relative()[0]
    }

    /// How much earlier than the recent rhythm the beat came: `1 - previous / local mean`
    /// (0 for the first beat). Unlike [`prematurity`](Self::prematurity) it needs no
    /// whole-record median, so a stream has it at once, and it follows slow rate changes.
    pub fn local_prematurity(&self) -> f64 {
        match (self.previous_s, self.local_mean_s) {
            (Some(previous), Some(mean)) if mean > 0.0 => 1.0 - previous / mean,
            _ => 0.0,
        }
    }
}

/// RR intervals of every beat of `peaks` (R-peak samples at `fs` Hz, strictly increasing).
///
/// A lone beat gets no interval at all. Errors: `fs` not positive, peaks not strictly
/// increasing (naming the first out of order).
pub fn rr_intervals(peaks: &[usize], fs: f64) -> Result<Vec<RrIntervals>> {
    check_fs(fs)?;
    if let Some(i) = peaks.windows(2).position(|w| w[1] <= w[0]) {
        return Err(Error::invalid(
            "peaks",
            format!(
                "peak {} (sample {}) does not come after peak {i} (sample {})",
                i + 1,
                peaks[i + 1],
                peaks[i]
            ),
        ));
    }
    let rr: Vec<f64> = peaks
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / fs)
        .collect();
    let median_s = (!rr.is_empty()).then(|| median(&rr));
    let mut out = Vec::with_capacity(peaks.len());
    let mut window_sum = 0.0;
    for i in 0..peaks.len() {
        // rr[i - 1] ends at beat i; the local window holds rr[i - LOCAL_BEATS .. i].
        let previous_s = i.checked_sub(1).map(|j| rr[j]);
        if let Some(p) = previous_s {
            window_sum += p;
            if i > LOCAL_BEATS {
                window_sum -= rr[i - 1 - LOCAL_BEATS];
            }
        }
        let local_mean_s = previous_s.map(|_| window_sum / i.min(LOCAL_BEATS) as f64);
        out.push(RrIntervals {
            previous_s,
            next_s: rr.get(i).copied(),
            local_mean_s,
            median_s,
        });
    }
    Ok(out)
}

/// Median of a non-empty slice of finite values.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Beats every 100 samples at 100 Hz (1 s), with beat 5 coming 30 samples early.
    fn train() -> Vec<usize> {
        let mut peaks: Vec<usize> = (0..12).map(|i| i * 100).collect();
        peaks[5] -= 30;
        peaks
    }

    #[test]
    fn measures_a_premature_beat_against_the_median() {
        let rr = rr_intervals(&train(), 100.0).unwrap();
        assert_eq!(rr.len(), 12);
        // 11 intervals: nine of 1.0 s, one of 0.7 s and one of 1.3 s; the median is 1.0 s.
        assert_eq!(rr[5].median_s, Some(1.0));
        assert_eq!(rr[5].previous_s, Some(0.7));
        assert_eq!(rr[5].next_s, Some(1.3));
        assert!((rr[5].prematurity() - 0.3).abs() < 1e-12);
        // Local mean at beat 5: four intervals of 1.0 s and the 0.7 s one, 0.94 s.
        assert!((rr[5].local_prematurity() - (1.0 - 0.7 / 0.94)).abs() < 1e-12);
        assert_eq!(rr[0].local_prematurity(), 0.0);
        let [previous, next, _] = rr[6].relative();
        assert!((previous - 1.3).abs() < 1e-12 && (next - 1.0).abs() < 1e-12);
        assert!(
            rr[6].prematurity() < 0.0,
            "the beat after a premature one is late"
        );
    }

    #[test]
    fn ends_have_no_outside_interval() {
        let rr = rr_intervals(&train(), 100.0).unwrap();
        assert_eq!(rr[0].previous_s, None);
        assert_eq!(rr[0].local_mean_s, None);
        assert_eq!(rr[0].relative(), [1.0, 1.0, 1.0]);
        assert_eq!(rr[11].next_s, None, "the last beat has no next one");
        assert_eq!(rr[11].relative()[1], 1.0);
        assert_eq!(rr[10].next_s, Some(1.0));
    }

    #[test]
    fn local_mean_covers_the_last_ten_intervals() {
        let rr = rr_intervals(&train(), 100.0).unwrap();
        // Beat 1: one interval of 1.0 s.
        assert_eq!(rr[1].local_mean_s, Some(1.0));
        // Beat 6: intervals 1, 1, 1, 1, 0.7, 1.3 -> mean 1.0.
        assert!((rr[6].local_mean_s.unwrap() - 1.0).abs() < 1e-12);
        // Beat 5: 1, 1, 1, 1, 0.7 -> 0.94.
        assert!((rr[5].local_mean_s.unwrap() - 0.94).abs() < 1e-12);
        // Beat 11: the last ten intervals (rr[1..11]) still hold 0.7 and 1.3 -> 1.0.
        assert!((rr[11].local_mean_s.unwrap() - 1.0).abs() < 1e-12);
        // A train long enough that the early beat leaves the window.
        let mut long: Vec<usize> = (0..20).map(|i| i * 100).collect();
        long[1] -= 50;
        let rr = rr_intervals(&long, 100.0).unwrap();
        // Beat 11: rr[1..11] holds the 1.5 s interval; beat 12's window has moved past it.
        assert!(
            (rr[11].local_mean_s.unwrap() - 1.05).abs() < 1e-12,
            "{:?}",
            rr[11]
        );
        assert!(
            (rr[12].local_mean_s.unwrap() - 1.0).abs() < 1e-12,
            "{:?}",
            rr[12]
        );
    }

    #[test]
    fn a_lone_beat_has_no_interval_and_unordered_peaks_are_rejected() {
        let lone = rr_intervals(&[10], 100.0).unwrap();
        assert_eq!(lone[0].median_s, None);
        assert_eq!(lone[0].relative(), [1.0, 1.0, 1.0]);
        assert!(rr_intervals(&[], 100.0).unwrap().is_empty());
        let err = rr_intervals(&[10, 20, 20], 100.0).unwrap_err();
        assert!(err.to_string().contains("peak 2"), "{err}");
        assert!(rr_intervals(&[10, 20], 0.0).is_err());
    }
}
