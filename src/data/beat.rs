//! AAMI beat classes and mappings from WFDB beat symbols to them.

use std::collections::BTreeMap;

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

    #[test]
    fn mapping_round_trips_through_json() {
        let m = AamiMapping::beatgan();
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"e\":\"S\""), "{json}");
        assert_eq!(serde_json::from_str::<AamiMapping>(&json).unwrap(), m);
    }
}
