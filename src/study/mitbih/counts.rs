//! The counts of each stage of a build, per AAMI class.

use std::fmt;
use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

use crate::data::beat::ClassCounts;

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
