//! Checks shared by every metric ([`crate::evaluate`]) and threshold rule ([`crate::threshold`]):
//! non-empty, finite scores and labels of the same length. A module of its own so that the
//! threshold layer needs nothing from the evaluation layer above it. Also the one check of a
//! sampling rate, [`check_fs`], which the readers (`data`) need below the preprocessing that
//! re-exports it.

use crate::{Error, Result};

/// Fails with [`Error::InvalidArgument`] when `fs` is not a positive, finite frequency.
pub fn check_fs(fs: f64) -> Result<()> {
    if fs.is_finite() && fs > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "fs",
            format!("sampling frequency must be > 0 Hz, got {fs}"),
        ))
    }
}

/// Errors on empty `scores` or on the first NaN or infinite score, naming its index.
pub(crate) fn check_scores(scores: &[f64]) -> Result<()> {
    if scores.is_empty() {
        return Err(Error::invalid("scores", "no scores"));
    }
    match scores.iter().position(|s| !s.is_finite()) {
        Some(i) => Err(Error::invalid(
            "scores",
            format!("score {} at index {i} is not finite", scores[i]),
        )),
        None => Ok(()),
    }
}

/// [`check_scores`], then that `labels` (or flags, classes) has one entry per score.
pub(crate) fn check_pair(scores: &[f64], labels_name: &'static str, labels: usize) -> Result<()> {
    check_scores(scores)?;
    check_len("scores", scores.len(), labels_name, labels)
}

/// Errors unless two parallel inputs have the same length.
pub(crate) fn check_len(
    a: &'static str,
    len_a: usize,
    b: &'static str,
    len_b: usize,
) -> Result<()> {
    if len_a == len_b {
        Ok(())
    } else {
        Err(Error::invalid(
            b,
            format!("{len_b} {b} for {len_a} {a}: lengths differ"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_and_infinity_are_named_by_index() {
        let err = check_scores(&[0.1, 0.2, f64::NAN]).unwrap_err();
        assert!(err.to_string().contains("index 2"), "{err}");
        let err = check_scores(&[f64::NEG_INFINITY]).unwrap_err();
        assert!(err.to_string().contains("index 0"), "{err}");
        assert!(check_scores(&[]).is_err());
        assert!(check_pair(&[1.0], "labels", 2).is_err());
        assert!(check_pair(&[1.0], "labels", 1).is_ok());
    }
}
