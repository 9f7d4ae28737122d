//! Adaptive-threshold QRS decision on the integrated energy envelope (Pan & Tompkins 1985
//! logic, run offline): signal/noise peak estimates, refractory period, T-wave discrimination
//! by slope, searchback for missed beats.

/// Candidate peak of the energy envelope.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    /// Sample index of the envelope maximum.
    pub index: usize,
    /// Envelope value there.
    pub height: f32,
    /// Largest absolute derivative of the band-passed signal around the candidate.
    pub slope: f32,
}

/// Timing constants in samples.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timing {
    pub refractory: usize,
    pub t_wave: usize,
    pub initial_rr: usize,
}

/// Local maxima of `env` that are the largest value within `radius` samples on each side.
pub(super) fn candidates(env: &[f32], slope: &[f32], radius: usize, out: &mut Vec<Candidate>) {
    out.clear();
    let n = env.len();
    let mut i = 1;
    while i + 1 < n {
        let v = env[i];
        if v > env[i - 1] && v >= env[i + 1] {
            let lo = i.saturating_sub(radius);
            let hi = (i + radius).min(n - 1);
            let left_ok = env[lo..i].iter().all(|&u| u < v);
            let right_ok = env[i + 1..=hi].iter().all(|&u| u <= v);
            if left_ok && right_ok {
                let s = slope[lo.max(i.saturating_sub(radius / 2))..=(i + radius / 2).min(n - 1)]
                    .iter()
                    .fold(0.0f32, |m, &d| m.max(d.abs()));
                out.push(Candidate {
                    index: i,
                    height: v,
                    slope: s,
                });
                i = hi.max(i + 1);
                continue;
            }
        }
        i += 1;
    }
}


/// The last eight values of something, with their median.
#[derive(Debug, Clone, Copy)]
struct Last8 {
    v: [f32; 8],
    next: usize,
}

impl Last8 {
    fn filled(x: f32) -> Self {
        Self { v: [x; 8], next: 0 }
    }
    fn push(&mut self, x: f32) {
        self.v[self.next % 8] = x;
        self.next += 1;
    }
    fn median(&self) -> f32 {
        let mut s = self.v;
        s.sort_unstable_by(f32::total_cmp);
        0.5 * (s[3] + s[4])
    }
}

/// Tunable constants of the decision.
#[derive(Debug, Clone, Copy)]
pub(super) struct Params {
    /// Threshold position between the noise and QRS levels.
    pub th: f32,
    /// Searchback after this many median RR intervals without a beat.
    pub searchback_rr: f32,
    /// Searchback threshold as a fraction of the detection threshold.
    pub searchback_th: f32,
    /// A candidate within `t_wave` of the last beat with a slope below this fraction of the
    /// last beat's slope is a T wave.
    pub t_slope: f32,
}

/// Decides which candidates are QRS complexes. `init` is the typical QRS height from the
/// first seconds. Accepted candidate positions go to `beats`, sorted.
pub(super) fn decide(
    cands: &[Candidate],
    timing: Timing,
    p: Params,
    init: f32,
    beats: &mut Vec<usize>,
) {
    beats.clear();
    let mut qrs = Last8::filled(init);
    let mut noise = Last8::filled(0.0);
    let mut rr = Last8::filled(timing.initial_rr as f32);
    let mut last: Option<(usize, f32)> = None; // (candidate position in `cands`, its slope)
    let mut searched_after: Option<usize> = None;
    let mut k = 0;
    while k < cands.len() {
        let c = cands[k];
        let (qm, nm) = (qrs.median(), noise.median());
        let thr = nm + p.th * (qm - nm);
        if let Some((li, _)) = last {
            let last_idx = cands[li].index;
            let limit = last_idx + (p.searchback_rr * rr.median()) as usize;
            if c.index > limit && searched_after != Some(li) {
                searched_after = Some(li);
                let best = (li + 1..k)
                    .filter(|&j| cands[j].index >= last_idx + timing.t_wave)
                    .filter(|&j| cands[j].height > p.searchback_th * thr)
                    .max_by(|&a, &b| cands[a].height.total_cmp(&cands[b].height));
                if let Some(j) = best {
                    let b = cands[j];
                    qrs.push(b.height);
                    rr.push((b.index - last_idx) as f32);
                    beats.push(b.index);
                    last = Some((j, b.slope));
                    k = j + 1;
                    continue;
                }
            }
        }
        let mut is_qrs = c.height > thr;
        if is_qrs && let Some((li, last_slope)) = last {
            let dist = c.index - cands[li].index;
            if dist < timing.refractory
                || (dist < timing.t_wave && c.slope < p.t_slope * last_slope)
            {
                is_qrs = false;
            }
        }
        if is_qrs {
            qrs.push(c.height);
            if let Some((li, _)) = last {
                rr.push((c.index - cands[li].index) as f32);
            }
            beats.push(c.index);
            last = Some((k, c.slope));
        } else {
            noise.push(c.height);
        }
        k += 1;
    }
}
