//! Beat counts per AAMI class, and the counts of each stage of a build.

use std::fmt;
use std::ops::{AddAssign, Index};

use serde::{Deserialize, Serialize};

use crate::data::beat::AamiClass;

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

/// What happened to the beat annotations of the records a build read, stage by stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BuildCounts {
    /// Beat annotations whose symbol the mapping lists, per class.
    pub annotated: ClassCounts,
    /// Beat annotations whose symbol the mapping does not list (left out).
    pub unmapped: usize,
    /// Annotated beats whose window lies inside the record.
    pub segmentable: ClassCounts,
    /// Segmentable beats that passed the R-peak filter (all of them without one): the beats
    /// of the set.
    pub kept: ClassCounts,
}

impl AddAssign for BuildCounts {
    fn add_assign(&mut self, other: Self) {
        self.annotated += other.annotated;
        self.unmapped += other.unmapped;
        self.segmentable += other.segmentable;
        self.kept += other.kept;
    }
}

impl fmt::Display for BuildCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "annotated:   {} + {} unmapped",
            self.annotated, self.unmapped
        )?;
        writeln!(f, "segmentable: {}", self.segmentable)?;
        write!(f, "kept:        {}", self.kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
