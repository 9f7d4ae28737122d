//! Argument checks shared by every preprocessing step.

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

/// Fails when `signal` is empty ([`Error::InvalidArgument`]) or holds a NaN or infinite value
/// ([`Error::Signal`] naming the first such sample).
pub fn check_signal(signal: &[f32]) -> Result<()> {
    if signal.is_empty() {
        return Err(Error::invalid("signal", "is empty"));
    }
    match signal.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(sample) => Err(Error::Signal {
            sample,
            message: format!("non-finite value {}", signal[sample]),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_fs_and_signals() {
        assert!(check_fs(360.0).is_ok());
        for fs in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                check_fs(fs),
                Err(Error::InvalidArgument { name: "fs", .. })
            ));
        }
        assert!(matches!(
            check_signal(&[]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            check_signal(&[0.0, 1.0, f32::NAN]),
            Err(Error::Signal { sample: 2, .. })
        ));
        assert!(matches!(
            check_signal(&[f32::NEG_INFINITY]),
            Err(Error::Signal { sample: 0, .. })
        ));
        assert!(check_signal(&[0.0, -1.5]).is_ok());
    }
}
