//! What a stream remembers of its past beats: their R-peaks (for the RR intervals) and their
//! model scores (for a running reference), each bounded.

use std::collections::VecDeque;

use crate::preprocess::rhythm::{LOCAL_BEATS, RrIntervals};
use crate::score::BeatContext;

/// The last R-peaks of a stream, at the pipeline's rate, counted from the stream's start.
#[derive(Debug, Clone, Default)]
pub(super) struct PeakHistory {
    /// The last `LOCAL_BEATS + 1` peaks: enough for the local mean of the last intervals.
    peaks: VecDeque<usize>,
}

impl PeakHistory {
    /// Records `peak` (after every earlier one) and returns its RR intervals, measured as
    /// [`rr_intervals`](crate::preprocess::rhythm::rr_intervals) measures them offline, except
    /// that the next interval is not known yet and the median is that of the recent intervals.
    pub(super) fn push(&mut self, peak: usize, fs: f64) -> RrIntervals {
        if self.peaks.len() == LOCAL_BEATS + 1 {
            self.peaks.pop_front();
        }
        self.peaks.push_back(peak);
        let mut rr = [0.0f64; LOCAL_BEATS];
        let mut n = 0;
        for (a, b) in self.peaks.iter().zip(self.peaks.iter().skip(1)) {
            rr[n] = b.saturating_sub(*a) as f64 / fs;
            n += 1;
        }
        let recent = &mut rr[..n];
        let previous_s = recent.last().copied();
        let local_mean_s = previous_s.map(|_| recent.iter().sum::<f64>() / n as f64);
        recent.sort_unstable_by(f64::total_cmp);
        let median_s = match n {
            0 => None,
            _ if n % 2 == 1 => Some(recent[n / 2]),
            _ => Some((recent[n / 2 - 1] + recent[n / 2]) / 2.0),
        };
        RrIntervals {
            previous_s,
            next_s: None,
            local_mean_s,
            median_s,
        }
    }
}

/// The model scores and contexts of the last beats judged, the reference a running context
/// needs; holds at most `capacity`.
#[derive(Debug, Clone)]
pub(super) struct ScoreHistory {
    capacity: usize,
    scores: VecDeque<f64>,
    context: VecDeque<BeatContext>,
}

impl ScoreHistory {
    /// Remembers at most `capacity` beats; memory grows with the beats seen, not with
    /// `capacity` (which comes from a configuration).
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            scores: VecDeque::new(),
            context: VecDeque::new(),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.scores.len()
    }

    /// The remembered beats followed by `scores` and `context`: what the context score is
    /// applied to.
    pub(super) fn with(
        &self,
        scores: &[f64],
        context: &[BeatContext],
    ) -> (Vec<f64>, Vec<BeatContext>) {
        let all_scores = self.scores.iter().chain(scores).copied().collect();
        let all_context = self.context.iter().chain(context).copied().collect();
        (all_scores, all_context)
    }

    /// Remembers the beats just judged, forgetting the oldest past the capacity.
    pub(super) fn extend(&mut self, scores: &[f64], context: &[BeatContext]) {
        for (&s, &c) in scores.iter().zip(context) {
            if self.capacity == 0 {
                return;
            }
            if self.scores.len() == self.capacity {
                self.scores.pop_front();
                self.context.pop_front();
            }
            self.scores.push_back(s);
            self.context.push_back(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::rhythm::rr_intervals;

    #[test]
    fn intervals_match_the_offline_ones_but_for_the_unknown_next() {
        let peaks: Vec<usize> = [0, 300, 610, 900, 1150, 1500, 1790, 2100, 2400, 2690, 3000]
            .into_iter()
            .chain((1..20).map(|k| 3000 + k * 290))
            .collect();
        let offline = rr_intervals(&peaks, 360.0).unwrap();
        let mut history = PeakHistory::default();
        for (&p, want) in peaks.iter().zip(&offline) {
            let got = history.push(p, 360.0);
            assert_eq!(got.previous_s, want.previous_s);
            assert_eq!(got.next_s, None);
            let (g, w) = (got.local_mean_s, want.local_mean_s);
            assert!(
                g.zip(w).is_none_or(|(g, w)| (g - w).abs() < 1e-12),
                "{g:?} {w:?}"
            );
            assert!((got.local_prematurity() - want.local_prematurity()).abs() < 1e-12);
        }
    }

    #[test]
    fn score_history_keeps_only_the_last_beats() {
        let context = BeatContext {
            group: 0,
            rr: None,
            template: None,
        };
        let mut history = ScoreHistory::new(3);
        history.extend(&[1.0, 2.0, 3.0, 4.0], &[context; 4]);
        assert_eq!(history.len(), 3);
        let (scores, ctx) = history.with(&[5.0], &[context]);
        assert_eq!(scores, [2.0, 3.0, 4.0, 5.0]);
        assert_eq!(ctx.len(), 4);
        // A capacity far beyond memory allocates nothing up front.
        let mut huge = ScoreHistory::new(1 << 60);
        huge.extend(&[1.0, 2.0], &[context; 2]);
        assert_eq!(huge.len(), 2);
        let mut none = ScoreHistory::new(0);
        none.extend(&[1.0], &[context]);
        assert_eq!(none.len(), 0);
    }
}
