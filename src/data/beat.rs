//! AAMI beat classes, counts of beats per class, mappings from WFDB beat symbols to them, and
//! the labelling of beat positions found by a detector with a record's reference beat
//! annotations.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{AddAssign, Index};

use serde::{Deserialize, Serialize};

use super::wfdb::{Annotation, codes};

/// The five AAMI EC57 heartbeat classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AamiClass {
    /// Normal and bundle branch block beats.
    N,
    /// Supraventricular ectopic beats.
    S,
    /// Ventricular ectopic beats.
    V,
    /// Fusion of ventricular and normal beats.
    F,
    /// Paced and unclassifiable beats.
    Q,
}

impl AamiClass {
    /// All classes in the order N, S, V, F, Q.
    pub const ALL: [AamiClass; 5] = [
        AamiClass::N,
        AamiClass::S,
        AamiClass::V,
        AamiClass::F,
        AamiClass::Q,
    ];

    /// Position in [`AamiClass::ALL`] (N = 0 ... Q = 4), e.g. for confusion matrices.
    pub fn index(self) -> usize {
        self as usize
    }

    /// True for every class but N: what an anomaly detector should flag.
    pub fn is_abnormal(self) -> bool {
        self != AamiClass::N
    }
}

/// Number of beats of each AAMI class (N, S, V, F, Q).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClassCounts([usize; 5]);

impl ClassCounts {
    /// Counts given in the order N, S, V, F, Q.
    pub fn new(counts: [usize; 5]) -> Self {
        Self(counts)
    }

    /// The counts in the order N, S, V, F, Q.
    pub fn as_array(&self) -> [usize; 5] {
        self.0
    }

    /// Adds one beat of `class`.
    pub fn add(&mut self, class: AamiClass) {
        self.0[class.index()] += 1;
    }

    /// All beats.
    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }

    /// Beats of class N.
    pub fn normal(&self) -> usize {
        self[AamiClass::N]
    }

    /// Beats of every class but N.
    pub fn abnormal(&self) -> usize {
        self.total() - self.normal()
    }
}

impl Index<AamiClass> for ClassCounts {
    type Output = usize;

    fn index(&self, class: AamiClass) -> &usize {
        &self.0[class.index()]
    }
}

impl AddAssign for ClassCounts {
    fn add_assign(&mut self, other: Self) {
        self.0.iter_mut().zip(other.0).for_each(|(a, b)| *a += b);
    }
}

impl FromIterator<AamiClass> for ClassCounts {
    fn from_iter<I: IntoIterator<Item = AamiClass>>(classes: I) -> Self {
        let mut counts = Self::default();
        classes.into_iter().for_each(|c| counts.add(c));
        counts
    }
}

impl fmt::Display for ClassCounts {
    /// `N 89880  S 3026  V 7009  F 803  Q 15  (total 100733)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (class, n) in AamiClass::ALL.iter().zip(self.0) {
            write!(f, "{class:?} {n}  ")?;
        }
        write!(f, "(total {})", self.total())
    }
}

/// A mapping from WFDB beat symbols (`N`, `V`, ...) to AAMI classes; symbols it does not list
/// map to `None`. Serialises as a JSON object `{"N": "N", "A": "S", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AamiMapping {
    classes: BTreeMap<String, AamiClass>,
}

impl AamiMapping {
    /// A mapping from `(symbol, class)` pairs; a later pair overrides an earlier one.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, AamiClass)>) -> Self {
        let classes = pairs.into_iter().map(|(s, c)| (s.to_string(), c)).collect();
        AamiMapping { classes }
    }

    /// ANSI/AAMI EC57: N = {N, L, R, e, j}, S = {A, a, J, S}, V = {V, E}, F = {F},
    /// Q = {/, f, Q}.
    pub fn aami_ec57() -> Self {
        Self::from_groups(["N L R e j", "A a J S", "V E", "F", "/ f Q"])
    }

    /// The BeatGAN variant: as [`Self::aami_ec57`] but escape beats `e` and `j` are S, so
    /// N = {N, L, R}.
    pub fn beatgan() -> Self {
        Self::from_groups(["N L R", "e j A a J S", "V E", "F", "/ f Q"])
    }

    fn from_groups(groups: [&str; 5]) -> Self {
        let pairs = groups.into_iter().zip(AamiClass::ALL);
        Self::new(pairs.flat_map(|(g, c)| g.split(' ').map(move |s| (s, c))))
    }

    /// Class of a beat symbol, `None` when the mapping does not list it.
    pub fn class_of(&self, symbol: &str) -> Option<AamiClass> {
        self.classes.get(symbol).copied()
    }

    /// Class of a WFDB annotation code (see [`codes`]).
    pub fn class_of_code(&self, code: u8) -> Option<AamiClass> {
        self.class_of(codes::symbol(code)?)
    }

    /// Class of an annotation, `None` for non-beats and unlisted symbols.
    pub fn classify(&self, annotation: &Annotation) -> Option<AamiClass> {
        self.class_of_code(annotation.code)
    }

    /// Symbols mapped to `class`, in byte order.
    pub fn symbols(&self, class: AamiClass) -> impl Iterator<Item = &str> {
        self.classes
            .iter()
            .filter(move |&(_, &c)| c == class)
            .map(|(s, _)| s.as_str())
    }
}

/// How far a found beat may lie from a reference beat annotation and still be that beat, in
/// seconds: 150 ms, AAMI EC57's matching window for beat detection (54 samples at 360 Hz).
pub const BEAT_MATCH_TOLERANCE_S: f64 = 0.15;

/// Beat positions (e.g. the R-peaks a detector judged) paired with a record's beat annotations
/// by [`AamiMapping::label_positions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeatMatches {
    /// Per position: the index, among the annotations given, of the nearest beat annotation
    /// within the tolerance; `None` when there is none.
    pub annotation: Vec<Option<usize>>,
    /// Per position: the class of that annotation; `None` when no beat annotation is near or
    /// the mapping does not list its symbol.
    pub class: Vec<Option<AamiClass>>,
    /// Beat annotations with a class that no position matched: beats that were never judged
    /// (missed by the R-peak detector, or too near the record's ends to cut).
    pub unmatched_beats: usize,
}

impl AamiMapping {
    /// Labels each of `positions` (samples, in any order) with the nearest beat annotation
    /// (see [`Annotation::is_beat`]; rhythm, noise and comment annotations never match) at most
    /// `tolerance` samples away, and that annotation's class; on a tie, the earlier
    /// annotation. Several positions may match one annotation. At 360 Hz, 150 ms is 54 samples.
    pub fn label_positions(
        &self,
        positions: &[usize],
        annotations: &[Annotation],
        tolerance: usize,
    ) -> BeatMatches {
        let mut beats: Vec<(usize, usize)> = (annotations.iter().enumerate())
            .filter(|(_, a)| a.is_beat())
            .map(|(i, a)| (a.sample, i))
            .collect();
        beats.sort_unstable();
        let nearest = |p: usize| {
            let k = beats.partition_point(|&(sample, _)| sample < p);
            [k.checked_sub(1), Some(k)]
                .into_iter()
                .flatten()
                .filter_map(|j| beats.get(j))
                .filter(|(sample, _)| sample.abs_diff(p) <= tolerance)
                .min_by_key(|(sample, _)| sample.abs_diff(p))
                .map(|&(_, i)| i)
        };
        let annotation: Vec<Option<usize>> = positions.iter().map(|&p| nearest(p)).collect();
        let class = (annotation.iter())
            .map(|m| m.and_then(|i| self.classify(&annotations[i])))
            .collect();
        let mut matched = vec![false; annotations.len()];
        annotation.iter().flatten().for_each(|&i| matched[i] = true);
        let unmatched_beats = (beats.iter())
            .filter(|&&(_, i)| !matched[i] && self.classify(&annotations[i]).is_some())
            .count();
        BeatMatches {
            annotation,
            class,
            unmatched_beats,
        }
    }
}

impl Default for AamiMapping {
    /// The standard [`AamiMapping::aami_ec57`] mapping.
    fn default() -> Self {
        Self::aami_ec57()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(m: &AamiMapping, c: AamiClass) -> String {
        m.symbols(c).collect()
    }

    #[test]
    fn ready_mappings_hold_the_documented_sets() {
        let ec57 = AamiMapping::aami_ec57();
        let got: Vec<String> = AamiClass::ALL.iter().map(|&c| listed(&ec57, c)).collect();
        assert_eq!(got, ["LNRej", "AJSa", "EV", "F", "/Qf"]);
        let bg = AamiMapping::beatgan();
        let got: Vec<String> = AamiClass::ALL.iter().map(|&c| listed(&bg, c)).collect();
        assert_eq!(got, ["LNR", "AJSaej", "EV", "F", "/Qf"]);
        for s in ["+", "~", "|", "!", "x", "\""] {
            assert_eq!(ec57.class_of(s), None, "{s}");
        }
        assert_eq!(ec57.class_of_code(codes::PVC), Some(AamiClass::V));
        assert_eq!(bg.class_of_code(codes::NESC), Some(AamiClass::S));
        assert_eq!(ec57.class_of_code(codes::NESC), Some(AamiClass::N));
    }

    fn ann(sample: usize, symbol: &str) -> Annotation {
        Annotation::new(sample, codes::code_of(symbol).unwrap())
    }

    #[test]
    fn positions_take_the_nearest_beat_within_the_tolerance() {
        // A rhythm change (+) and a noise mark (~) sit nearer some positions than any beat.
        let annotations = [
            ann(100, "N"),
            ann(195, "+"),
            ann(200, "V"),
            ann(300, "~"),
            ann(400, "A"),
            ann(500, "Q"),
            ann(700, "N"),
        ];
        let ec57 = AamiMapping::aami_ec57();
        let positions = [105, 150, 196, 302, 395, 510, 599, 10];
        let m = ec57.label_positions(&positions, &annotations, 54);
        assert_eq!(
            m.annotation,
            [
                Some(0),
                Some(0),
                Some(2),
                None,
                Some(4),
                Some(5),
                None,
                None
            ],
            "150 ties 100 and 200: the earlier; 302 is 98 from a beat; 10 is 90 from one"
        );
        use AamiClass::*;
        assert_eq!(
            m.class,
            [
                Some(N),
                Some(N),
                Some(V),
                None,
                Some(S),
                Some(Q),
                None,
                None
            ]
        );
        assert_eq!(m.unmatched_beats, 1, "only the beat at 700 is never judged");
        let none = ec57.label_positions(&[], &annotations, 54);
        assert_eq!(none.unmatched_beats, 5);
        let unlisted = AamiMapping::new([("N", N)]).label_positions(&[401], &annotations, 54);
        assert_eq!((unlisted.annotation[0], unlisted.class[0]), (Some(4), None));
    }

    #[test]
    fn mapping_round_trips_through_json() {
        let m = AamiMapping::beatgan();
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"e\":\"S\""), "{json}");
        assert_eq!(serde_json::from_str::<AamiMapping>(&json).unwrap(), m);
    }

    #[test]
    fn counts_add_index_and_display() {
        let mut c: ClassCounts = [AamiClass::N, AamiClass::V, AamiClass::N]
            .into_iter()
            .collect();
        assert_eq!(c.as_array(), [2, 0, 1, 0, 0]);
        c += ClassCounts::new([1, 2, 3, 4, 5]);
        assert_eq!((c[AamiClass::N], c[AamiClass::Q]), (3, 5));
        assert_eq!((c.total(), c.normal(), c.abnormal()), (18, 3, 15));
        assert_eq!(c.to_string(), "N 3  S 2  V 4  F 4  Q 5  (total 18)");
    }
}
