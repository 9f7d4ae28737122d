//! Scores in context: a beat judged against its own recording and its rhythm, not only its
//! shape.
//!
//! A model trained on other people rebuilds a new patient's normal beats worse than its
//! training beats, so their raw scores sit high; and a premature supraventricular beat often
//! has a normal shape and betrays itself only by its timing. [`ContextScore`] answers both,
//! without labels: each beat's score has two components, the model's score (its logarithm,
//! the *shape* component) and, optionally, its [`local_prematurity`](RrIntervals::local_prematurity)
//! (the *rhythm* component) and its distance from its recording's median beat (the *template*
//! component, [`template_distances`](crate::preprocess::template::template_distances)); each is
//! robustly z-scored ([`RobustScale`]) against a
//! [`Reference`] — the held-out normal beats, the beat's own recording, or the recording's
//! last beats (a stream) — and the z-scores are averaged. Most beats of any recording are
//! normal, so a recording's median and spread are those of its normal beats.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::preprocess::RrIntervals;
use crate::{Error, Result};

/// Fewest beats a recording (or a stream's recent past) needs before it is its own reference;
/// with fewer, the held-out normal beats are.
pub const MIN_REFERENCE_BEATS: usize = 20;

/// Most beats a running reference ([`Reference::Running`]) or a stream's stand-in for a
/// recording ([`StreamConfig::record_beats`](crate::stream::StreamConfig)) holds: 100 000,
/// about 24 hours at 70 bpm (a median over them costs a few milliseconds per beat).
pub const MAX_REFERENCE_BEATS: usize = 100_000;

/// Smallest spread of the shape component (natural log of the model's score): 0.001, a 0.1 %
/// change of the score.
const SHAPE_FLOOR: f64 = 1e-3;
/// Smallest spread of the rhythm component: 0.02, 2 % of the RR interval (beat-to-beat
/// jitter of a steady sinus rhythm).
const RHYTHM_FLOOR: f64 = 0.02;
/// Smallest spread of the template component (`1 - r` with the recording's median beat):
/// 0.005, a change of the correlation in its third decimal.
const TEMPLATE_FLOOR: f64 = 0.005;
/// Scores below this are taken as this before their logarithm.
const SCORE_FLOOR: f64 = 1e-12;
/// 1.4826 × MAD estimates a normal distribution's standard deviation.
const MAD_TO_SIGMA: f64 = 1.4826;

/// What each beat's components are compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reference {
    /// The held-out normal beats the detector was fitted with (the default): every beat on
    /// its own, whatever else is scored with it.
    #[default]
    Normal,
    /// The other beats of its recording (a whole record scored at once): the recording's
    /// median and spread. Recordings with fewer than [`MIN_REFERENCE_BEATS`] beats fall back to
    /// [`Reference::Normal`].
    Record,
    /// The recording's median, but the held-out normal beats' spread: a shift to the
    /// recording's own level, no rescaling. Small recordings fall back as for
    /// [`Reference::Record`].
    RecordMedian,
    /// The last `beats` beats of its recording before it (a stream; causal). Until
    /// [`MIN_REFERENCE_BEATS`] beats have passed, the held-out normal beats.
    Running {
        /// Beats in the running window, [`MIN_REFERENCE_BEATS`]..=[`MAX_REFERENCE_BEATS`].
        beats: usize,
    },
}

/// How the components' z-scores are combined into one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fusion {
    /// Their mean (the default): a beat must stand out on balance.
    #[default]
    Mean,
    /// The largest: a beat that stands out in one component is enough.
    Max,
}

/// How a detector puts its model's score in context. The default, no rhythm against the
/// held-out normal beats, leaves the model's score as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContextConfig {
    /// Adds the rhythm component: how early the beat came against its recent RR intervals.
    /// Beats without RR intervals (plain windows) count as on time.
    pub rhythm: bool,
    /// Adds the template component: how unlike its recording's median beat the beat is
    /// ([`template_distances`](crate::preprocess::template::template_distances)). Beats
    /// without one (recordings of fewer than 20 beats, streams) count as typical.
    pub template: bool,
    /// What each component is z-scored against.
    pub reference: Reference,
    /// How the components' z-scores are combined (when there are two).
    pub fusion: Fusion,
}

impl ContextConfig {
    /// True when the score is the model's own: no rhythm, against the held-out normal beats.
    pub fn is_plain(&self) -> bool {
        !self.rhythm && !self.template && self.reference == Reference::Normal
    }

    /// Checks the settings: a running window of
    /// [`MIN_REFERENCE_BEATS`]..=[`MAX_REFERENCE_BEATS`] beats.
    pub fn validate(&self) -> Result<()> {
        match self.reference {
            Reference::Running { beats }
                if !(MIN_REFERENCE_BEATS..=MAX_REFERENCE_BEATS).contains(&beats) =>
            {
                Err(Error::invalid(
                    "context.reference.beats",
                    format!("{beats} beats; {MIN_REFERENCE_BEATS}..={MAX_REFERENCE_BEATS}"),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// What is known about one beat beyond its samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BeatContext {
    /// Which recording it belongs to: beats sharing a number are one recording, in time order.
    pub group: usize,
    /// Its RR intervals, when known.
    pub rr: Option<RrIntervals>,
    /// `1 - r` with its recording's median beat, when known.
    #[serde(default)]
    pub template: Option<f64>,
}

/// A robust location and spread: the median and 1.4826 × the median absolute deviation (the
/// standard deviation, for normally distributed values), never below a floor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RobustScale {
    /// The median.
    pub median: f64,
    /// The spread, finite and `> 0`.
    pub scale: f64,
}

impl RobustScale {
    /// Fits on `values` (finite), the spread at least `floor` (`> 0`); `None` when empty.
    pub fn fit(values: &[f64], floor: f64) -> Option<Self> {
        Self::fit_in_place(&mut values.to_vec(), floor)
    }

    /// [`fit`](Self::fit) on a scratch copy the caller owns: `values` is overwritten.
    fn fit_in_place(values: &mut [f64], floor: f64) -> Option<Self> {
        let median = median_in_place(values)?;
        values.iter_mut().for_each(|v| *v = (*v - median).abs());
        let mad = median_in_place(values)?;
        Some(Self {
            median,
            scale: (MAD_TO_SIGMA * mad).max(floor),
        })
    }

    /// `(value - median) / scale`.
    pub fn z(&self, value: f64) -> f64 {
        (value - self.median) / self.scale
    }

    fn check(&self, name: &str) -> std::result::Result<(), String> {
        if !(self.median.is_finite() && self.scale.is_finite() && self.scale > 0.0) {
            return Err(format!(
                "{name}: median {} and scale {} must be finite, the scale > 0",
                self.median, self.scale
            ));
        }
        Ok(())
    }
}

/// Median of `values`, reordering them; `None` when empty.
fn median_in_place(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (below, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = below.iter().copied().max_by(f64::total_cmp)?;
    Some((lower + upper) / 2.0)
}

/// The shape component of a model score: its natural logarithm (scores are `>= 0` and
/// skewed; the logarithm makes their spread comparable between recordings).
pub fn shape_component(score: f64) -> f64 {
    score.max(SCORE_FLOOR).ln()
}

/// The rhythm component of a beat: its [`local_prematurity`](RrIntervals::local_prematurity),
/// 0 when its intervals are unknown.
pub fn rhythm_component(rr: Option<&RrIntervals>) -> f64 {
    rr.map_or(0.0, RrIntervals::local_prematurity)
}

/// Each of `values` z-scored against `reference`: `fallback` (fitted on normal beats) for
/// [`Reference::Normal`], the value's group (from `groups`, one per value) otherwise, falling
/// back to `fallback` where the group has too few beats. Spreads never fall below `floor`.
pub fn standardize(
    values: &[f64],
    groups: &[usize],
    reference: Reference,
    fallback: RobustScale,
    floor: f64,
) -> Result<Vec<f64>> {
    if groups.len() != values.len() {
        let msg = format!("{} groups for {} values", groups.len(), values.len());
        return Err(Error::invalid("groups", msg));
    }
    Ok(match reference {
        Reference::Normal => values.iter().map(|&v| fallback.z(v)).collect(),
        Reference::Record | Reference::RecordMedian => {
            let mut members: HashMap<usize, Vec<f64>> = HashMap::new();
            for (&v, &g) in values.iter().zip(groups) {
                members.entry(g).or_default().push(v);
            }
            let scales: HashMap<usize, RobustScale> = members
                .into_iter()
                .map(|(g, mut vs)| {
                    let own = (vs.len() >= MIN_REFERENCE_BEATS)
                        .then(|| RobustScale::fit_in_place(&mut vs, floor))
                        .flatten()
                        .map(|own| match reference {
                            Reference::RecordMedian => RobustScale {
                                scale: fallback.scale,
                                ..own
                            },
                            _ => own,
                        });
                    (g, own.unwrap_or(fallback))
                })
                .collect();
            values
                .iter()
                .zip(groups)
                .map(|(&v, g)| scales.get(g).unwrap_or(&fallback).z(v))
                .collect()
        }
        Reference::Running { beats } => {
            let mut recent: HashMap<usize, VecDeque<f64>> = HashMap::new();
            // Never more than the values given: `beats` comes from a configuration.
            let mut work = Vec::with_capacity(beats.min(values.len()));
            let mut out = Vec::with_capacity(values.len());
            for (&v, &g) in values.iter().zip(groups) {
                let past = recent.entry(g).or_default();
                let scale = match past.len() >= MIN_REFERENCE_BEATS {
                    true => {
                        work.clear();
                        work.extend(past.iter().copied());
                        RobustScale::fit_in_place(&mut work, floor).unwrap_or(fallback)
                    }
                    false => fallback,
                };
                out.push(scale.z(v));
                if past.len() == beats.max(1) {
                    past.pop_front();
                }
                past.push_back(v);
            }
            out
        }
    })
}

/// A fitted [`ContextConfig`]: the spread of each component on held-out normal beats (the
/// [`Reference::Normal`] reference and every other reference's fallback). Saved with the
/// detector as `context.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextScore {
    /// The settings.
    pub config: ContextConfig,
    /// The shape component on the normal beats.
    pub shape: RobustScale,
    /// The rhythm component on the normal beats, when the rhythm is used.
    pub rhythm: Option<RobustScale>,
    /// The template component on the normal beats, when the template is used.
    #[serde(default)]
    pub template: Option<RobustScale>,
}

impl ContextScore {
    /// How unlike the held-out normal beats a recording's typical beat is: the median of its
    /// beats' shape components (the logarithm of each model score) as a robust z-score against
    /// the normal beats' ([`shape`](Self::shape)). Near 0 for a recording like the training
    /// ones, higher for a new patient, and far higher for an input at a wrong rate, on another
    /// lead or in other units, which a recording-relative [`Reference`] would otherwise hide
    /// (every beat is then judged against equally wrong neighbours). `None` without scores.
    pub fn typical_shape_z(&self, model_scores: &[f64]) -> Option<f64> {
        let mut shape: Vec<f64> = model_scores.iter().map(|&s| shape_component(s)).collect();
        median_in_place(&mut shape).map(|median| self.shape.z(median))
    }

    /// Fits on the model scores of held-out normal beats and their context (`None`: one
    /// recording without RR intervals). Errors: no score, a non-finite one, or a context of
    /// another length.
    pub fn fit(
        config: ContextConfig,
        normal_scores: &[f64],
        context: Option<&[BeatContext]>,
    ) -> Result<Self> {
        config.validate()?;
        check_scores(normal_scores, context)?;
        let shape: Vec<f64> = normal_scores.iter().map(|&s| shape_component(s)).collect();
        let empty = || Error::invalid("normal_scores", "need at least one score");
        let rhythm = match config.rhythm {
            true => {
                let values = rhythm_values(normal_scores.len(), context);
                Some(RobustScale::fit(&values, RHYTHM_FLOOR).ok_or_else(empty)?)
            }
            false => None,
        };
        let template = match config.template {
            true => {
                let known = template_known(context);
                // No normal beat with a template (all recordings small): typical is 0.
                let scale = RobustScale::fit(&known, TEMPLATE_FLOOR).unwrap_or(RobustScale {
                    median: 0.0,
                    scale: TEMPLATE_FLOOR,
                });
                Some(scale)
            }
            false => None,
        };
        Ok(Self {
            config,
            shape: RobustScale::fit(&shape, SHAPE_FLOOR).ok_or_else(empty)?,
            rhythm,
            template,
        })
    }

    /// The scores in context, one per model score: the model's scores themselves when the
    /// configuration [`is_plain`](ContextConfig::is_plain), else the mean of each component's
    /// z-score. Beats without context form one recording without RR intervals.
    pub fn apply(&self, scores: &[f64], context: Option<&[BeatContext]>) -> Result<Vec<f64>> {
        check_scores(scores, context)?;
        if self.config.is_plain() {
            return Ok(scores.to_vec());
        }
        let groups: Vec<usize> = match context {
            Some(c) => c.iter().map(|b| b.group).collect(),
            None => vec![0; scores.len()],
        };
        let reference = self.config.reference;
        let shape: Vec<f64> = scores.iter().map(|&s| shape_component(s)).collect();
        let mut fused = standardize(&shape, &groups, reference, self.shape, SHAPE_FLOOR)?;
        let mut components = 1.0;
        let mut add = |fused: &mut Vec<f64>, z: Vec<f64>| {
            components += 1.0;
            for (f, z) in fused.iter_mut().zip(z) {
                *f = match self.config.fusion {
                    Fusion::Mean => *f + z,
                    Fusion::Max => f.max(z),
                };
            }
        };
        if let Some(fallback) = self.rhythm {
            let values = rhythm_values(scores.len(), context);
            let z = standardize(&values, &groups, reference, fallback, RHYTHM_FLOOR)?;
            add(&mut fused, z);
        }
        if let Some(fallback) = self.template {
            let values = template_values(scores.len(), context, fallback.median);
            let z = standardize(&values, &groups, reference, fallback, TEMPLATE_FLOOR)?;
            add(&mut fused, z);
        }
        if self.config.fusion == Fusion::Mean {
            fused.iter_mut().for_each(|f| *f /= components);
        }
        Ok(fused)
    }

    /// Checks a loaded value: finite medians, positive spreads, a rhythm spread exactly when
    /// the rhythm is used.
    pub fn validate(&self) -> std::result::Result<(), String> {
        self.config.validate().map_err(|e| e.to_string())?;
        self.shape.check("shape")?;
        match (self.config.rhythm, &self.rhythm) {
            (true, Some(r)) => r.check("rhythm"),
            (false, None) => Ok(()),
            (true, None) => Err("the rhythm is used but has no fitted scale".into()),
            (false, Some(_)) => Err("a rhythm scale, but the rhythm is not used".into()),
        }?;
        match (self.config.template, &self.template) {
            (true, Some(t)) => t.check("template"),
            (false, None) => Ok(()),
            (true, None) => Err("the template is used but has no fitted scale".into()),
            (false, Some(_)) => Err("a template scale, but the template is not used".into()),
        }
    }
}

fn rhythm_values(n: usize, context: Option<&[BeatContext]>) -> Vec<f64> {
    match context {
        Some(c) => c.iter().map(|b| rhythm_component(b.rr.as_ref())).collect(),
        None => vec![0.0; n],
    }
}

/// Template distances of the beats that have one.
fn template_known(context: Option<&[BeatContext]>) -> Vec<f64> {
    context
        .into_iter()
        .flatten()
        .filter_map(|b| b.template)
        .collect()
}

/// Template distances, `typical` where unknown.
fn template_values(n: usize, context: Option<&[BeatContext]>, typical: f64) -> Vec<f64> {
    match context {
        Some(c) => c.iter().map(|b| b.template.unwrap_or(typical)).collect(),
        None => vec![typical; n],
    }
}

fn check_scores(scores: &[f64], context: Option<&[BeatContext]>) -> Result<()> {
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::invalid(
            "scores",
            format!("score {i} is {}", scores[i]),
        ));
    }
    if let Some(c) = context
        && c.len() != scores.len()
    {
        let msg = format!("{} beats of context for {} scores", c.len(), scores.len());
        return Err(Error::invalid("context", msg));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::rr_intervals;

    #[test]
    fn robust_scale_is_the_median_and_scaled_mad_with_a_floor() {
        let s = RobustScale::fit(&[1.0, 2.0, 3.0, 4.0, 100.0], 1e-3).unwrap();
        // Median 3; deviations 2, 1, 0, 1, 97 → MAD 1.
        assert_eq!(s.median, 3.0);
        assert!((s.scale - 1.4826).abs() < 1e-12);
        let even = RobustScale::fit(&[4.0, 1.0, 3.0, 2.0], 1e-3).unwrap();
        assert_eq!(even.median, 2.5);
        let flat = RobustScale::fit(&[5.0; 10], 0.5).unwrap();
        assert_eq!((flat.median, flat.scale), (5.0, 0.5));
        assert!(RobustScale::fit(&[], 1.0).is_none());
    }

    #[test]
    fn each_record_is_its_own_reference_and_small_ones_fall_back() {
        // Record 0: 30 values around 10; record 1: 30 around 100; record 2: 5 values.
        let mut values = Vec::new();
        let mut groups = Vec::new();
        for (g, centre, n) in [(0, 10.0, 30), (1, 100.0, 30), (2, 50.0, 5)] {
            for i in 0..n {
                values.push(centre + f64::from(i % 3) - 1.0);
                groups.push(g);
            }
        }
        let fallback = RobustScale {
            median: 0.0,
            scale: 10.0,
        };
        let z = standardize(&values, &groups, Reference::Record, fallback, 1e-3).unwrap();
        // Each big record's own median is its centre: its centre values score 0.
        assert_eq!(z[1], 0.0);
        assert_eq!(z[31], 0.0);
        // The small record uses the fallback: (50 - 0) / 10.
        assert_eq!(z[61], 5.0);
        let normal = standardize(&values, &groups, Reference::Normal, fallback, 1e-3).unwrap();
        assert_eq!(normal[31], 10.0);
        // Shifted to each record's median, scaled by the fallback's spread.
        let median =
            standardize(&values, &groups, Reference::RecordMedian, fallback, 1e-3).unwrap();
        assert_eq!((median[0], median[31], median[61]), (-0.1, 0.0, 5.0));
        assert!(standardize(&values, &groups[1..], Reference::Record, fallback, 1e-3).is_err());
    }

    #[test]
    fn a_running_reference_uses_only_the_past() {
        let fallback = RobustScale {
            median: 0.0,
            scale: 1.0,
        };
        // 40 beats at 1.0 then a jump to 5.0: the jump is judged against the ones before it.
        let mut values = vec![1.0; 40];
        values.push(5.0);
        let groups = vec![0; values.len()];
        let reference = Reference::Running { beats: 30 };
        let z = standardize(&values, &groups, reference, fallback, 0.5).unwrap();
        // Before 20 beats have passed: the fallback (1 - 0) / 1.
        assert_eq!(z[0], 1.0);
        assert_eq!(z[19], 1.0);
        // From beat 20 on: median 1, spread floored at 0.5.
        assert_eq!(z[20], 0.0);
        assert_eq!(z[40], 8.0);
        // Changing a later value never changes an earlier z-score.
        let mut later = values.clone();
        later[40] = 100.0;
        let z2 = standardize(&later, &groups, reference, fallback, 0.5).unwrap();
        assert_eq!(z[..40], z2[..40]);
        // A window far longer than the values allocates for the values only (no abort), and
        // its z-scores are those of any window holding all of them.
        let huge = Reference::Running { beats: 1 << 50 };
        let long = Reference::Running { beats: 41 };
        assert_eq!(
            standardize(&values, &groups, huge, fallback, 0.5).unwrap(),
            standardize(&values, &groups, long, fallback, 0.5).unwrap()
        );
        let config = |beats| ContextConfig {
            reference: Reference::Running { beats },
            ..ContextConfig::default()
        };
        config(MAX_REFERENCE_BEATS).validate().unwrap();
        let err = config(1_000_000_000_000)
            .validate()
            .unwrap_err()
            .to_string();
        assert!(err.contains("context.reference.beats"), "{err}");
    }

    /// Regular beats every second at 100 Hz with one 30 % early beat, as beat contexts.
    fn train_with_early_beat(n: usize, early: usize) -> Vec<BeatContext> {
        let mut peaks: Vec<usize> = (0..n).map(|i| i * 100 + (i % 2)).collect();
        peaks[early] -= 30;
        rr_intervals(&peaks, 100.0)
            .unwrap()
            .into_iter()
            .map(|rr| BeatContext {
                group: 0,
                rr: Some(rr),
                template: None,
            })
            .collect()
    }

    #[test]
    fn the_rhythm_lifts_a_premature_beat_whose_shape_is_normal() {
        let context = train_with_early_beat(60, 40);
        // Every beat has the same shape score but for a slight spread.
        let scores: Vec<f64> = (0..60).map(|i| 1.0 + 0.01 * f64::from(i % 5)).collect();
        let config = ContextConfig {
            rhythm: true,
            template: false,
            reference: Reference::Record,
            fusion: Fusion::Mean,
        };
        let fitted = ContextScore::fit(config, &scores, Some(&context)).unwrap();
        fitted.validate().unwrap();
        let fused = fitted.apply(&scores, Some(&context)).unwrap();
        let top = (0..60)
            .max_by(|&a, &b| fused[a].total_cmp(&fused[b]))
            .unwrap();
        assert_eq!(top, 40, "{fused:?}");
        // Without the rhythm the early beat is unremarkable.
        let shape_only = ContextConfig {
            rhythm: false,
            ..config
        };
        let plain = ContextScore::fit(shape_only, &scores, Some(&context)).unwrap();
        let shape = plain.apply(&scores, Some(&context)).unwrap();
        assert!(shape[40] < 2.0, "{}", shape[40]);
        // Without context every beat is on time: its rhythm z-score is that of 0 prematurity.
        let alone = fitted.apply(&scores, None).unwrap();
        let on_time = fitted.rhythm.unwrap().z(0.0);
        for (a, s) in alone.iter().zip(&shape) {
            assert!((a - (s + on_time) / 2.0).abs() < 1e-12);
        }
    }

    #[test]
    fn the_plain_configuration_keeps_the_model_score_and_bad_input_is_named() {
        let scores = [0.5, 1.0, 2.0];
        let fitted = ContextScore::fit(ContextConfig::default(), &scores, None).unwrap();
        assert_eq!(fitted.apply(&scores, None).unwrap(), scores);
        let err = fitted.apply(&[1.0, f64::NAN], None).unwrap_err();
        assert!(err.to_string().contains("score 1"), "{err}");
        let context = train_with_early_beat(2, 1);
        let err = fitted.apply(&scores, Some(&context)).unwrap_err();
        assert!(err.to_string().contains("2 beats of context"), "{err}");
        let short = ContextConfig {
            reference: Reference::Running { beats: 5 },
            ..ContextConfig::default()
        };
        assert!(ContextScore::fit(short, &scores, None).is_err());
        let mut broken = fitted.clone();
        broken.shape.scale = 0.0;
        assert!(broken.validate().is_err());
        broken.shape.scale = 1.0;
        broken.config.rhythm = true;
        assert!(broken.validate().unwrap_err().contains("rhythm"));
    }

    #[test]
    fn the_template_lifts_a_beat_unlike_its_recording_and_is_validated() {
        let n = 60;
        let scores: Vec<f64> = (0..n)
            .map(|i| 1.0 + 0.01 * f64::from(i as u8 % 5))
            .collect();
        let context: Vec<BeatContext> = (0..n)
            .map(|i| BeatContext {
                group: 0,
                rr: None,
                template: Some(if i == 33 {
                    0.4
                } else {
                    0.01 + 0.002 * (i % 4) as f64
                }),
            })
            .collect();
        let config = ContextConfig {
            template: true,
            ..ContextConfig::default()
        };
        assert!(!config.is_plain());
        let fitted = ContextScore::fit(config, &scores, Some(&context)).unwrap();
        fitted.validate().unwrap();
        let fused = fitted.apply(&scores, Some(&context)).unwrap();
        let top = (0..n)
            .max_by(|&a, &b| fused[a].total_cmp(&fused[b]))
            .unwrap();
        assert_eq!(top, 33, "{fused:?}");
        // Unknown templates count as typical: z 0 for that component.
        let unknown: Vec<BeatContext> = context
            .iter()
            .map(|c| BeatContext {
                template: None,
                ..*c
            })
            .collect();
        let fused = fitted.apply(&scores, Some(&unknown)).unwrap();
        assert!(fused[33] < 2.0, "{}", fused[33]);
        let mut broken = fitted.clone();
        broken.template = None;
        assert!(broken.validate().is_err());
        // A context.json written before the template existed still loads, without it.
        let old = r#"{"config":{"rhythm":false,"reference":{"kind":"normal"},"fusion":"mean"},
            "shape":{"median":0.0,"scale":1.0},"rhythm":null}"#;
        let loaded: ContextScore = serde_json::from_str(old).unwrap();
        assert_eq!(loaded.template, None);
        loaded.validate().unwrap();
    }
}
