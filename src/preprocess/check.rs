//! Argument checks shared by every preprocessing step.

pub use crate::input::check_fs;
use crate::{Error, Result};

/// Lowest sampling rate of an ECG lead the [`BeatPipeline`](super::BeatPipeline), the detector
/// and the stream take, in Hz: the R-peak detector's lower bound (its 5-15 Hz QRS band-pass
/// needs a Nyquist frequency well above 15 Hz; below 50 Hz a QRS complex of 80-100 ms spans
/// four samples or fewer). Holter recorders sample at 125 Hz and up; MIT-BIH at 360 Hz.
pub const MIN_ECG_FS: f64 = super::rpeak::MIN_FS;

/// Highest sampling rate of an ECG lead, in Hz: the R-peak detector's upper bound. Diagnostic
/// and high-resolution ECG (pacemaker spikes, late potentials) is sampled at 500 Hz to 10 kHz;
/// a higher value is a unit mistake, and would make every beat window thousands of samples.
pub const MAX_ECG_FS: f64 = super::rpeak::MAX_FS;

/// Largest absolute sample value the [`BeatPipeline`](super::BeatPipeline) takes: 10^9. ECG
/// in millivolts stays within ±10, in microvolts within ±10^5, and 24-bit ADC counts within
/// ±8.4 × 10^6; past 10^9 the energy envelope (squared samples summed over a window) nears
/// `f32`'s range and no R-peak would be found.
pub const MAX_ECG_AMPLITUDE: f32 = 1e9;

/// Fails with [`Error::InvalidArgument`] naming `name` when `fs` is not an ECG sampling rate,
/// [`MIN_ECG_FS`]..=[`MAX_ECG_FS`] Hz; the message suggests Hz when the value looks like kHz.
pub fn check_ecg_fs(name: &'static str, fs: f64) -> Result<()> {
    if (MIN_ECG_FS..=MAX_ECG_FS).contains(&fs) {
        return Ok(());
    }
    let hint = match fs * 1000.0 {
        hz if (MIN_ECG_FS..=MAX_ECG_FS).contains(&hz) => {
            format!(" (in kHz? {fs} kHz is {hz} Hz)")
        }
        _ => String::new(),
    };
    Err(Error::invalid(
        name,
        format!(
            "{fs} Hz is not an ECG sampling rate: it must be within {MIN_ECG_FS}..={MAX_ECG_FS} \
             Hz{hint}"
        ),
    ))
}

/// Fails with [`Error::Signal`] naming the first sample whose magnitude is above
/// [`MAX_ECG_AMPLITUDE`] (the signal is otherwise checked by [`check_signal`]).
pub fn check_amplitude(signal: &[f32]) -> Result<()> {
    match signal.iter().position(|x| x.abs() > MAX_ECG_AMPLITUDE) {
        None => Ok(()),
        Some(sample) => Err(Error::Signal {
            sample,
            message: format!(
                "amplitude {} is out of range: |x| must be at most {MAX_ECG_AMPLITUDE:e} (a \
                 lead in mV, uV or ADC counts; is the gain wrong?)",
                signal[sample]
            ),
        }),
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

    #[test]
    fn ecg_rates_and_amplitudes_have_a_range_and_khz_gets_a_hint() {
        for fs in [50.0, 125.0, 180.0, 250.0, 360.0, 500.0, 1000.0, 10_000.0] {
            check_ecg_fs("fs", fs).unwrap();
        }
        let err = check_ecg_fs("fs", 0.36).unwrap_err().to_string();
        assert!(
            err.contains("not an ECG sampling rate") && err.contains("360 Hz"),
            "{err}"
        );
        for fs in [
            0.01,
            49.9,
            10_001.0,
            1e12,
            0.0,
            -360.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            let err = check_ecg_fs("fs", fs).unwrap_err().to_string();
            assert!(err.contains("not an ECG sampling rate"), "{fs}: {err}");
            assert!(!err.contains("kHz"), "{fs}: {err}");
        }
        check_amplitude(&[0.0, -1e9, 1e9]).unwrap();
        let err = check_amplitude(&[0.0, 1.0, -1e20]).unwrap_err();
        assert!(matches!(err, Error::Signal { sample: 2, .. }), "{err}");
    }
}
