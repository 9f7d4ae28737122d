//! Adaptive-threshold QRS decision on the energy envelope, run offline over its candidate peaks:
//! Pan & Tompkins (1985) rules (refractory period, T-wave test by slope, searchback for missed
//! beats) with Hamilton & Tompkins' (1986) medians of the last eight QRS and noise peaks, which
//! recover after runs of large ectopic beats where running means lock up.

/// A peak of the energy envelope.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    /// Sample index of the envelope maximum.
    pub index: usize,
    /// `sqrt` of the envelope there: an RMS slope, linear in the signal's amplitude.
    pub height: f32,
    /// Largest absolute derivative of the band-passed signal around the candidate.
    pub slope: f32,
}

/// Local maxima of `env` that are the largest value within `radius` samples on each side, with
/// their height and the largest `|slope|` within `slope_radius` samples.
pub(super) fn candidates(
    env: &[f32],
    slope: &[f32],
    radius: usize,
    slope_radius: usize,
    out: &mut Vec<Candidate>,
) {
    out.clear();
    let n = env.len().min(slope.len());
    let mut i = 1;
    while i + 1 < n {
        let v = env[i];
        if v > env[i - 1] && v >= env[i + 1] {
            let lo = i.saturating_sub(radius);
            let hi = (i + radius).min(n - 1);
            if env[lo..i].iter().all(|&u| u < v) && env[i + 1..=hi].iter().all(|&u| u <= v) {
                let s = slope[i.saturating_sub(slope_radius)..=(i + slope_radius).min(n - 1)]
                    .iter()
                    .fold(0.0f32, |m, &d| m.max(d.abs()));
                out.push(Candidate {
                    index: i,
                    height: v.sqrt(),
                    slope: s,
                });
                // Nothing up to `hi` can be the maximum of its own window.
                i = hi.max(i + 1);
                continue;
            }
        }
        i += 1;
    }
}

/// Constants of the decision, times in samples.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rules {
    /// No beat closer than this to the previous one.
    pub refractory: usize,
    /// Within this of the previous beat a candidate must pass the T-wave slope test.
    pub t_wave: usize,
    /// RR interval assumed before the first beats.
    pub initial_rr: usize,
    /// Detection threshold = noise + `threshold` × (QRS − noise), on median peak heights.
    pub threshold: f32,
    /// Searchback after this many median RR intervals without a beat...
    pub searchback_rr: f32,
    /// ...for the highest candidate above this fraction of the threshold...
    pub searchback_threshold: f32,
    /// ...whose slope is at least this fraction of the median QRS slope.
    pub searchback_slope: f32,
    /// A candidate within `t_wave` whose slope is below this fraction of the median QRS slope
    /// is a T wave.
    pub t_wave_slope: f32,
}

/// The last eight values of something, with their median.
#[derive(Debug, Clone, Copy)]
struct Last8 {
    values: [f32; 8],
    next: usize,
}

impl Last8 {
    fn filled(x: f32) -> Self {
        Self {
            values: [x; 8],
            next: 0,
        }
    }

    fn push(&mut self, x: f32) {
        self.values[self.next] = x;
        self.next = (self.next + 1) % 8;
    }

    fn median(&self) -> f32 {
        let mut s = self.values;
        s.sort_unstable_by(f32::total_cmp);
        0.5 * (s[3] + s[4])
    }
}

/// Running state: medians of the last QRS, noise, RR and slope values, and the last beat.
struct State {
    qrs: Last8,
    noise: Last8,
    rr: Last8,
    slopes: Option<Last8>,
    /// Position in the candidate list of the last beat.
    last: Option<usize>,
}

impl State {
    fn accept(&mut self, cands: &[Candidate], k: usize, beats: &mut Vec<usize>) {
        let c = cands[k];
        self.qrs.push(c.height);
        if let Some(l) = self.last {
            self.rr.push((c.index - cands[l].index) as f32);
        }
        self.slopes
            .get_or_insert(Last8::filled(c.slope))
            .push(c.slope);
        self.last = Some(k);
        beats.push(c.index);
    }

    fn slope_reference(&self, cands: &[Candidate]) -> f32 {
        match (self.slopes, self.last) {
            (Some(s), _) => s.median(),
            (None, Some(l)) => cands[l].slope,
            (None, None) => 0.0,
        }
    }
}

/// Decides which candidates (sorted by index) are QRS complexes; `initial_qrs` is a typical QRS
/// height from the first seconds. Beat positions (envelope peaks) go to `beats`, sorted.
pub(super) fn decide(cands: &[Candidate], r: Rules, initial_qrs: f32, beats: &mut Vec<usize>) {
    beats.clear();
    let mut st = State {
        qrs: Last8::filled(initial_qrs),
        noise: Last8::filled(0.0),
        rr: Last8::filled(r.initial_rr as f32),
        slopes: None,
        last: None,
    };
    let mut searched_after: Option<usize> = None;
    let mut k = 0;
    while k < cands.len() {
        let c = cands[k];
        let (qrs, noise) = (st.qrs.median(), st.noise.median());
        let threshold = noise + r.threshold * (qrs - noise);
        if let Some(l) = st.last {
            let last_index = cands[l].index;
            let limit = last_index + (r.searchback_rr * st.rr.median()) as usize;
            if c.index > limit && searched_after != Some(l) {
                // Missed beat? Take the best candidate of the gap at a lower threshold.
                searched_after = Some(l);
                let min_slope = r.searchback_slope * st.slope_reference(cands);
                let best = (l + 1..k)
                    .filter(|&j| cands[j].index >= last_index + r.t_wave)
                    .filter(|&j| cands[j].height > r.searchback_threshold * threshold)
                    .filter(|&j| cands[j].slope >= min_slope)
                    .max_by(|&a, &b| cands[a].height.total_cmp(&cands[b].height));
                if let Some(j) = best {
                    st.accept(cands, j, beats);
                    k = j + 1;
                    continue;
                }
            }
        }
        let mut is_qrs = c.height > threshold;
        if is_qrs && let Some(l) = st.last {
            let distance = c.index - cands[l].index;
            let t_wave_like =
                distance < r.t_wave && c.slope < r.t_wave_slope * st.slope_reference(cands);
            if distance < r.refractory || t_wave_like {
                is_qrs = false;
            }
        }
        if is_qrs {
            st.accept(cands, k, beats);
        } else {
            st.noise.push(c.height);
        }
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            refractory: 20,
            t_wave: 36,
            initial_rr: 100,
            threshold: 0.25,
            searchback_rr: 1.66,
            searchback_threshold: 0.65,
            searchback_slope: 0.2,
            t_wave_slope: 0.4,
        }
    }

    fn cand(index: usize, height: f32, slope: f32) -> Candidate {
        Candidate {
            index,
            height,
            slope,
        }
    }

    #[test]
    fn median_of_last_eight() {
        let mut m = Last8::filled(0.0);
        for x in [5.0, 1.0, 4.0, 2.0, 3.0, 8.0, 7.0, 6.0, 100.0] {
            m.push(x);
        }
        // 5.0 was overwritten by 100.0: {1,2,3,4,6,7,8,100}.
        assert_eq!(m.median(), 5.0);
    }

    #[test]
    fn beats_pass_and_t_waves_with_low_slopes_do_not() {
        let mut cands = Vec::new();
        for b in 0..10 {
            cands.push(cand(100 * b + 50, 1.0, 10.0));
            cands.push(cand(100 * b + 80, 0.6, 2.0)); // T wave: 30 after, slope 2 < 0.4 × 10
        }
        let mut beats = Vec::new();
        decide(&cands, rules(), 1.0, &mut beats);
        let expected: Vec<usize> = (0..10).map(|b| 100 * b + 50).collect();
        assert_eq!(beats, expected);
    }

    #[test]
    fn searchback_recovers_a_small_beat_in_a_long_gap() {
        let mut cands: Vec<Candidate> = (0..10).map(|b| cand(100 * b + 50, 1.0, 10.0)).collect();
        // A beat at 1050 below the threshold (noise median 0 → threshold 0.25) but above
        // 0.65 × threshold, then the next normal beat only at 1250.
        cands.push(cand(1050, 0.2, 5.0));
        cands.push(cand(1150, 0.05, 5.0));
        cands.push(cand(1250, 1.0, 10.0));
        let mut beats = Vec::new();
        decide(&cands, rules(), 1.0, &mut beats);
        assert!(beats.contains(&1050), "{beats:?}");
        assert!(!beats.contains(&1150), "{beats:?}");
    }
}
