//! Beat-by-beat comparison of detected R-peaks with reference annotations (WFDB `bxb` style).

use serde::{Deserialize, Serialize};

/// Counts from [`match_peaks`]: true positives, false negatives (missed reference beats) and
/// false positives (detections matching no reference beat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MatchCounts {
    /// Reference beats matched by a detection.
    pub tp: usize,
    /// Reference beats left unmatched.
    pub fn_: usize,
    /// Detections left unmatched.
    pub fp: usize,
}

impl MatchCounts {
    /// Sensitivity `Se = TP / (TP + FN)`; 1.0 when there is no reference beat.
    pub fn sensitivity(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// Positive predictivity `+P = TP / (TP + FP)`; 1.0 when there is no detection.
    pub fn positive_predictivity(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
}

impl std::ops::Add for MatchCounts {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            tp: self.tp + o.tp,
            fn_: self.fn_ + o.fn_,
            fp: self.fp + o.fp,
        }
    }
}

impl std::ops::AddAssign for MatchCounts {
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}

impl std::iter::Sum for MatchCounts {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), |a, b| a + b)
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

/// Matches detections to reference beats one to one: a pair counts when the two are at most
/// `tolerance` samples apart (54 samples = 150 ms at 360 Hz is the EC57 convention), each
/// reference beat and each detection being used at most once.
///
/// Both slices must be sorted ascending (as [`super::detect_r_peaks`] returns them); the
/// matching is then maximal: reference beats are taken in order and each is paired with the
/// earliest unused detection within its window, which pairs as many beats as any matching can.
/// O(len(reference) + len(detected)).
pub fn match_peaks(reference: &[usize], detected: &[usize], tolerance: usize) -> MatchCounts {
    let mut counts = MatchCounts::default();
    let mut j = 0; // first detection not yet used or skipped
    for &r in reference {
        // Detections before the window can no longer match any (later) reference beat.
        while j < detected.len() && detected[j] + tolerance < r {
            counts.fp += 1;
            j += 1;
        }
        if j < detected.len() && detected[j] <= r + tolerance {
            counts.tp += 1;
            j += 1;
        } else {
            counts.fn_ += 1;
        }
    }
    counts.fp += detected.len() - j;
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_shifted_matches_count_as_true_positives() {
        let c = match_peaks(&[100, 400, 700], &[100, 410, 690], 54);
        assert_eq!(
            c,
            MatchCounts {
                tp: 3,
                fn_: 0,
                fp: 0
            }
        );
        assert_eq!(c.sensitivity(), 1.0);
        assert_eq!(c.positive_predictivity(), 1.0);
    }

    #[test]
    fn tolerance_is_inclusive() {
        assert_eq!(match_peaks(&[100], &[154], 54).tp, 1);
        assert_eq!(match_peaks(&[100], &[46], 54).tp, 1);
        assert_eq!(
            match_peaks(&[100], &[155], 54),
            MatchCounts {
                tp: 0,
                fn_: 1,
                fp: 1
            }
        );
    }

    #[test]
    fn a_missed_beat_and_an_extra_detection() {
        // 400 missed; 550 is an extra detection (T wave, say).
        let c = match_peaks(&[100, 400, 700], &[101, 550, 702], 54);
        assert_eq!(
            c,
            MatchCounts {
                tp: 2,
                fn_: 1,
                fp: 1
            }
        );
        assert!((c.sensitivity() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.positive_predictivity() - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn one_detection_matches_at_most_one_beat() {
        // Two reference beats 40 samples apart, one detection between them.
        let c = match_peaks(&[100, 140], &[120], 54);
        assert_eq!(
            c,
            MatchCounts {
                tp: 1,
                fn_: 1,
                fp: 0
            }
        );
        // Two detections near one beat: one of them is a false positive.
        let c = match_peaks(&[100], &[95, 105], 54);
        assert_eq!(
            c,
            MatchCounts {
                tp: 1,
                fn_: 0,
                fp: 1
            }
        );
    }

    #[test]
    fn greedy_choice_does_not_lose_pairs() {
        // Pairing 140 with detection 100 (its nearest) would leave 100's reference unmatched.
        let c = match_peaks(&[60, 140], &[100, 190], 54);
        assert_eq!(
            c,
            MatchCounts {
                tp: 2,
                fn_: 0,
                fp: 0
            }
        );
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(match_peaks(&[], &[], 10), MatchCounts::default());
        assert_eq!(
            match_peaks(&[5, 9], &[], 10),
            MatchCounts {
                tp: 0,
                fn_: 2,
                fp: 0
            }
        );
        assert_eq!(
            match_peaks(&[], &[5], 10),
            MatchCounts {
                tp: 0,
                fn_: 0,
                fp: 1
            }
        );
        let none = MatchCounts::default();
        assert_eq!(
            (none.sensitivity(), none.positive_predictivity()),
            (1.0, 1.0)
        );
    }

    #[test]
    fn counts_add_up_over_records() {
        let a = match_peaks(&[10, 20], &[10], 2);
        let b = match_peaks(&[10], &[10, 30], 2);
        let total: MatchCounts = [a, b].into_iter().sum();
        assert_eq!(
            total,
            MatchCounts {
                tp: 2,
                fn_: 1,
                fp: 1
            }
        );
    }
}
