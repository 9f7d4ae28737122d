//! Band-limited resampling between arbitrary (real) sampling rates, e.g. 360 -> 250 Hz.
//!
//! A Kaiser-windowed sinc is evaluated at every output instant (no rational-ratio restriction),
//! from a finely tabulated kernel with linear interpolation. Written here rather than taken from
//! `rubato`, whose streaming, chunked API (and its extra crates) buys nothing for whole leads and
//! leaves the output length and delay to the caller.

use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::preprocess::check::{check_fs, check_signal};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Kernel table points per sinc zero crossing (linear interpolation error < 1e-5).
const TABLE_RES: usize = 512;

/// Largest accepted ratio between the two rates, either way.
pub const MAX_RATIO: f64 = 1000.0;

/// Largest [`SincResampler::zero_crossings`]: its kernel table then holds 128 Ki values (1 MiB).
pub const MAX_ZERO_CROSSINGS: usize = 256;

/// Smallest [`SincResampler::cutoff`]: with [`MAX_ZERO_CROSSINGS`] an output sample then reads
/// at most 5,120 inputs per unit of the rate ratio, so a resampling always ends.
pub const MIN_CUTOFF: f64 = 0.1;

/// Largest [`SincResampler::kaiser_beta`] (side lobes far below `f32`'s precision at 40).
pub const MAX_KAISER_BETA: f64 = 40.0;

/// Most output samples [`resample`] and [`SincResampler::resample`] give: 2^30 (4 GiB as
/// `f32`; 12 days at 1 kHz). [`SincResampler::resample_with_limit`] takes another bound.
pub const MAX_RESAMPLED_LEN: usize = 1 << 30;

/// Fewest outputs one thread computes: about 1 ms of work.
const PARALLEL_OUTPUTS: usize = 4096;

/// Kernel tables kept for reuse (one per distinct `zero_crossings` and `kaiser_beta`).
const TABLES_KEPT: usize = 4;

/// Windowed-sinc resampler settings; the default suits ECG (flat to 0.9 × the lower Nyquist).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SincResampler {
    /// Half-length of the kernel in sinc zero crossings (default 32; at most
    /// [`MAX_ZERO_CROSSINGS`]).
    pub zero_crossings: usize,
    /// Anti-aliasing cutoff as a fraction of the lower of the two Nyquist frequencies (0.95;
    /// at least [`MIN_CUTOFF`]).
    pub cutoff: f64,
    /// Kaiser window shape parameter (8.6: about -90 dB side lobes; at most
    /// [`MAX_KAISER_BETA`]).
    pub kaiser_beta: f64,
}

impl Default for SincResampler {
    fn default() -> Self {
        Self {
            zero_crossings: 32,
            cutoff: 0.95,
            kaiser_beta: 8.6,
        }
    }
}

/// Resamples `signal` from `from_hz` to `to_hz` with the default [`SincResampler`].
pub fn resample(signal: &[f32], from_hz: f64, to_hz: f64) -> Result<Vec<f32>> {
    SincResampler::default().resample(signal, from_hz, to_hz)
}

/// Output length for `n` input samples: `round(n * to_hz / from_hz)`.
pub fn resampled_len(n: usize, from_hz: f64, to_hz: f64) -> usize {
    (n as f64 * to_hz / from_hz).round() as usize
}

/// Index at `to_hz` of input sample `sample` at `from_hz` (for R-peaks and annotations):
/// `round(sample * to_hz / from_hz)`. Output sample `j` sits at input time `j * from_hz / to_hz`.
pub fn resample_index(sample: usize, from_hz: f64, to_hz: f64) -> usize {
    (sample as f64 * to_hz / from_hz).round() as usize
}

impl SincResampler {
    /// Resamples `signal` from `from_hz` to `to_hz`; the output has [`resampled_len`] samples.
    ///
    /// The signal is mirrored at both ends (`x[-k] = x[k]`) so edges keep their level, and each
    /// output is normalised by its kernel weight sum, so a constant stays exactly constant.
    /// Long signals are split across rayon's threads; every output is computed on its own, so the
    /// bits do not depend on the thread count.
    ///
    /// Errors: an empty or non-finite signal, rates not finite and `> 0` or more than
    /// [`MAX_RATIO`] apart, settings out of range, and [`Error::Limit`] when the output would
    /// hold more than [`MAX_RESAMPLED_LEN`] samples (checked before anything is allocated).
    pub fn resample(&self, signal: &[f32], from_hz: f64, to_hz: f64) -> Result<Vec<f32>> {
        self.resample_bounded(
            signal,
            (from_hz, to_hz),
            MAX_RESAMPLED_LEN,
            "preprocess::resample::MAX_RESAMPLED_LEN (use SincResampler::resample_with_limit)",
        )
    }

    /// [`resample`](Self::resample) with output of at most `max_len` samples, else
    /// [`Error::Limit`] (checked before anything is allocated).
    pub fn resample_with_limit(
        &self,
        signal: &[f32],
        from_hz: f64,
        to_hz: f64,
        max_len: usize,
    ) -> Result<Vec<f32>> {
        let limit = "SincResampler::resample_with_limit(max_len)";
        self.resample_bounded(signal, (from_hz, to_hz), max_len, limit)
    }

    /// [`resample`](Self::resample) with output of at most `max_len` samples, else
    /// [`Error::Limit`] naming `limit`, the setting to raise.
    pub(crate) fn resample_bounded(
        &self,
        signal: &[f32],
        (from_hz, to_hz): (f64, f64),
        max_len: usize,
        limit: &'static str,
    ) -> Result<Vec<f32>> {
        check_signal(signal)?;
        let kernel = self.kernel(from_hz, to_hz)?;
        let out_len = resampled_len(signal.len(), from_hz, to_hz);
        if out_len > max_len {
            let msg = format!(
                "{} samples at {from_hz} Hz resample to {out_len} at {to_hz} Hz",
                signal.len()
            );
            return Err(crate::limits::exceeded(
                std::path::Path::new(""),
                limit,
                max_len,
                msg,
            ));
        }
        if out_len == 0 {
            return Err(Error::invalid(
                "signal",
                format!("{} samples resample to none", signal.len()),
            ));
        }
        if from_hz == to_hz {
            return Ok(signal.to_vec());
        }
        Ok((0..out_len)
            .into_par_iter()
            .with_min_len(PARALLEL_OUTPUTS)
            .map(|j| kernel.output(signal, j))
            .collect())
    }

    /// The kernel taking `from_hz` to `to_hz`, after checking both rates, their ratio and the
    /// settings.
    fn kernel(&self, from_hz: f64, to_hz: f64) -> Result<Kernel> {
        check_fs(from_hz)?;
        check_fs(to_hz)?;
        let ratio = to_hz / from_hz;
        if !(1.0 / MAX_RATIO..=MAX_RATIO).contains(&ratio) {
            return Err(Error::invalid(
                "to_hz",
                format!("ratio {ratio} beyond 1/{MAX_RATIO}..={MAX_RATIO}"),
            ));
        }
        if !(1..=MAX_ZERO_CROSSINGS).contains(&self.zero_crossings)
            || !(MIN_CUTOFF..=1.0).contains(&self.cutoff)
            || !(0.0..=MAX_KAISER_BETA).contains(&self.kaiser_beta)
        {
            return Err(Error::invalid(
                "resampler",
                format!(
                    "{self:?}: needs 1 <= zero_crossings <= {MAX_ZERO_CROSSINGS}, \
                     {MIN_CUTOFF} <= cutoff <= 1, 0 <= kaiser_beta <= {MAX_KAISER_BETA}"
                ),
            ));
        }
        // Kernel argument per input sample, in zero crossings, and half-width in input samples.
        let scale = self.cutoff * ratio.min(1.0);
        let reach = self.zero_crossings as f64 / scale;
        Ok(Kernel::new(
            self.kernel_table(),
            scale,
            reach,
            from_hz / to_hz,
        ))
    }

    /// The kernel table of these settings, built once per process: building one costs about
    /// as much as resampling 10 s of ECG, and a stream resamples its buffer 4 times a second.
    /// At most [`TABLES_KEPT`] tables (2 MiB each at most) are kept. Each entry holds a value
    /// and its difference to the next, what [`Kernel::weight`] reads.
    fn kernel_table(&self) -> Arc<[[f64; 2]]> {
        type Tables = Vec<((usize, u64), Arc<[[f64; 2]]>)>;
        static TABLES: Mutex<Tables> = Mutex::new(Vec::new());
        let key = (self.zero_crossings, self.kaiser_beta.to_bits());
        let cached = |tables: &Tables| {
            tables
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, t)| t.clone())
        };
        if let Some(table) = TABLES.lock().ok().and_then(|t| cached(&t)) {
            return table;
        }
        let values = self.build_kernel_table();
        let table: Arc<[[f64; 2]]> = values.windows(2).map(|w| [w[0], w[1] - w[0]]).collect();
        if let Ok(mut tables) = TABLES.lock() {
            if tables.len() >= TABLES_KEPT {
                tables.remove(0);
            }
            tables.push((key, table.clone()));
        }
        table
    }

    /// `sinc(u) * kaiser(u / zero_crossings)` for `u` in `[0, zero_crossings]`, `TABLE_RES`
    /// points per unit (plus one guard point).
    fn build_kernel_table(&self) -> Vec<f64> {
        let z = self.zero_crossings as f64;
        let i0_beta = bessel_i0(self.kaiser_beta);
        (0..=self.zero_crossings * TABLE_RES + 1)
            .map(|i| {
                let u = i as f64 / TABLE_RES as f64;
                if u >= z {
                    return 0.0;
                }
                let x = std::f64::consts::PI * u;
                let sinc = if u == 0.0 { 1.0 } else { x.sin() / x };
                let r = u / z;
                sinc * bessel_i0(self.kaiser_beta * (1.0 - r * r).sqrt()) / i0_beta
            })
            .collect()
    }
}

/// The kernel of one resampling: output `j` is the weighted mean of the inputs `k` within
/// `reach` of `t = j * step`, weighted by the tabulated kernel at `scale * |t - k|` zero
/// crossings, interpolated linearly.
#[derive(Debug)]
struct Kernel {
    /// `[value, next value - value]` at `TABLE_RES` points per zero crossing.
    table: Arc<[[f64; 2]]>,
    /// `scale * TABLE_RES`: a table position per input sample. Multiplying by a power of two
    /// is exact, so `(scale * TABLE_RES) * d` is `(scale * d) * TABLE_RES` to the bit.
    per_sample: f64,
    reach: f64,
    step: f64,
}

impl Kernel {
    fn new(table: Arc<[[f64; 2]]>, scale: f64, reach: f64, step: f64) -> Self {
        let per_sample = scale * TABLE_RES as f64;
        Self {
            table,
            per_sample,
            reach,
            step,
        }
    }

    /// Output `j`, the signal mirrored at its ends (`x[-k] = x[k]`) where the kernel reaches
    /// past them.
    fn output(&self, signal: &[f32], j: usize) -> f32 {
        let n = signal.len() as isize;
        let t = j as f64 * self.step;
        let first = (t - self.reach).ceil() as isize;
        let last = self.last_input(j);
        let (mut acc, mut weights) = (0.0f64, 0.0f64);
        let mut tap = |k: f64, x: f32| {
            let w = self.weight((t - k).abs());
            acc += w * f64::from(x);
            weights += w;
        };
        if first >= 0 && last < n {
            // Away from the ends (almost every output): no mirroring. `k` counts in f64,
            // exact for every index a slice can have.
            let mut k = first as f64;
            for &x in &signal[first as usize..=last as usize] {
                tap(k, x);
                k += 1.0;
            }
        } else {
            (first..=last).for_each(|k| tap(k as f64, signal[mirror(k, n)]));
        }
        (acc / weights) as f32
    }

    /// The last input output `j` reads (past the signal's end where it mirrors).
    fn last_input(&self, j: usize) -> isize {
        (j as f64 * self.step + self.reach).floor() as isize
    }

    /// The kernel at `d >= 0` input samples from its centre (0 beyond the table).
    #[inline(always)]
    fn weight(&self, d: f64) -> f64 {
        let pos = self.per_sample * d;
        // Through i64: one instruction each way on x86-64, where u64 <-> f64 take several.
        let i = pos as i64;
        match self.table.get(i as usize) {
            Some(&[value, slope]) => value + slope * (pos - i as f64),
            None => 0.0,
        }
    }
}

/// One stream's buffer at another rate, kept between calls: an output whose kernel ends
/// inside the buffer does not change as samples arrive, so only the newest are computed again.
/// Its values are those of [`SincResampler::resample`] on the buffer as long as nothing was
/// dropped from its front; after that, an output near the front keeps the value it had over
/// the samples then before it, where `resample` would mirror the new first samples.
#[derive(Debug)]
#[cfg_attr(not(feature = "burn"), allow(dead_code))] // its user, `stream`, needs a backend
pub(crate) struct BufferResampler {
    kernel: Kernel,
    from_hz: f64,
    to_hz: f64,
    values: Vec<f32>,
    /// Outputs `..settled` read inputs inside the buffer only: they are final.
    settled: usize,
}

#[cfg_attr(not(feature = "burn"), allow(dead_code))]
impl BufferResampler {
    /// From `from_hz` to `to_hz` with the default [`SincResampler`].
    pub(crate) fn new(from_hz: f64, to_hz: f64) -> Result<Self> {
        Ok(Self {
            kernel: SincResampler::default().kernel(from_hz, to_hz)?,
            from_hz,
            to_hz,
            values: Vec::new(),
            settled: 0,
        })
    }

    /// The whole buffer `signal` (finite samples) at the output rate: the outputs not yet
    /// settled are computed again, the rest kept. An error when it resamples to nothing.
    pub(crate) fn update(&mut self, signal: &[f32]) -> Result<&[f32]> {
        let out_len = resampled_len(signal.len(), self.from_hz, self.to_hz);
        if out_len == 0 {
            let msg = format!("{} samples resample to none", signal.len());
            return Err(Error::invalid("signal", msg));
        }
        self.values.truncate(self.settled.min(out_len));
        for j in self.values.len()..out_len {
            self.values.push(self.kernel.output(signal, j));
        }
        let n = signal.len() as isize;
        while self.settled < out_len && self.kernel.last_input(self.settled) < n {
            self.settled += 1;
        }
        Ok(&self.values)
    }

    /// The buffer lost its first samples, `outputs` output samples' worth (a whole number of
    /// them): the outputs over them go too.
    pub(crate) fn drop_front(&mut self, outputs: usize) {
        self.values.drain(..outputs.min(self.values.len()));
        self.settled = self.settled.saturating_sub(outputs);
    }
}

/// Index `k` folded into `0..n` by mirroring about the first and last samples.
fn mirror(k: isize, n: isize) -> usize {
    if n <= 1 {
        return 0;
    }
    let period = 2 * (n - 1);
    let m = k.rem_euclid(period);
    (if m >= n { period - m } else { m }) as usize
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, q) = (1.0, 1.0, x * x / 4.0);
    for k in 1..200 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine(freq: f64, fs: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * PI * freq * i as f64 / fs).sin() as f32)
            .collect()
    }

    #[test]
    fn sine_keeps_frequency_and_amplitude() {
        for (from, to, freq) in [
            (360.0, 250.0, 5.0),
            (250.0, 360.0, 17.0),
            (360.0, 128.0, 40.0),
        ] {
            let y = resample(&sine(freq, from, 3600), from, to).unwrap();
            // Compare with the ideal sine at the output instants, away from the mirrored edges.
            let margin = y.len() / 10;
            for (j, v) in y.iter().enumerate().skip(margin).take(y.len() - 2 * margin) {
                let want = (2.0 * PI * freq * j as f64 / to).sin();
                assert!(
                    (f64::from(*v) - want).abs() < 2e-3,
                    "{from}->{to} Hz, sample {j}: {v} vs {want}"
                );
            }
        }
    }

    /// Linearly interpolated kernel value at `u >= 0` zero crossings (0 beyond the table).
    fn lookup(table: &[f64], u: f64) -> f64 {
        let pos = u * TABLE_RES as f64;
        let i = pos as usize;
        match (table.get(i), table.get(i + 1)) {
            (Some(a), Some(b)) => a + (b - a) * (pos - i as f64),
            _ => 0.0,
        }
    }

    /// The resampler as first written: every tap mirrored, a table built for the call.
    fn reference(r: &SincResampler, signal: &[f32], from_hz: f64, to_hz: f64) -> Vec<f32> {
        let table = r.build_kernel_table();
        let ratio = to_hz / from_hz;
        let scale = r.cutoff * ratio.min(1.0);
        let reach = r.zero_crossings as f64 / scale;
        let n = signal.len() as isize;
        (0..resampled_len(signal.len(), from_hz, to_hz))
            .map(|j| {
                let t = j as f64 * (from_hz / to_hz);
                let (first, last) = ((t - reach).ceil() as isize, (t + reach).floor() as isize);
                let (mut acc, mut weights) = (0.0f64, 0.0f64);
                for k in first..=last {
                    let w = lookup(&table, scale * (t - k as f64).abs());
                    acc += w * f64::from(signal[mirror(k, n)]);
                    weights += w;
                }
                (acc / weights) as f32
            })
            .collect()
    }

    #[test]
    fn the_unmirrored_middle_and_the_kept_table_give_the_same_bits() {
        let wide = SincResampler {
            zero_crossings: 8,
            kaiser_beta: 5.0,
            ..SincResampler::default()
        };
        for r in [SincResampler::default(), wide] {
            // Short leads are mirrored at every tap; long ones mostly not.
            for n in [3usize, 40, 333, 5000] {
                let x: Vec<f32> = (0..n)
                    .map(|i| ((i as f32 * 0.37).sin() + (i as f32 * 0.011).cos()) * 0.8)
                    .collect();
                for (from, to) in [(360.0, 125.0), (125.0, 360.0), (360.0, 256.7)] {
                    let Ok(got) = r.resample(&x, from, to) else {
                        assert_eq!(resampled_len(n, from, to), 0);
                        continue;
                    };
                    // Twice: the second call takes the kept table.
                    assert_eq!(got, r.resample(&x, from, to).unwrap());
                    let want = reference(&r, &x, from, to);
                    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got), bits(&want), "{n} samples {from}->{to} {r:?}");
                }
            }
        }
    }

    #[test]
    fn a_growing_buffer_resampled_in_steps_equals_the_whole_buffer_resampled() {
        // 360 -> 125 Hz: 72 inputs make 25 outputs, so whole seconds drop whole outputs.
        let (from, to) = (360.0, 125.0);
        let history: Vec<f32> = (0..360 * 30)
            .map(|i| ((i as f32 * 0.05).sin() + (i as f32 * 0.0031).cos()) * 0.9)
            .collect();
        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let whole = resample(&history, from, to).unwrap();

        let mut buffer = BufferResampler::new(from, to).unwrap();
        let (mut start, mut dropped_outputs) = (0usize, 0usize);
        for (step, end) in (90..=history.len()).step_by(90).enumerate() {
            let got = buffer.update(&history[start..end]).unwrap().to_vec();
            if dropped_outputs == 0 {
                // Nothing dropped yet: every output is the offline one on the same samples.
                let want = resample(&history[..end], from, to).unwrap();
                assert_eq!(bits(&got), bits(&want), "{end} samples");
            } else {
                // Kept outputs were computed on the longer buffer, new ones far from its front:
                // all of them are the whole history's (to the rounding of the output instants,
                // which count from the buffer's front), except the unsettled newest ones.
                let settled = got.len() - 40;
                let want = &whole[dropped_outputs..dropped_outputs + settled];
                for (j, (g, w)) in got[..settled].iter().zip(want).enumerate() {
                    assert!(
                        (g - w).abs() <= 1e-6,
                        "{end} samples, output {j}: {g} vs {w}"
                    );
                }
            }
            // Past 10 s, keep a 10 s buffer: drop the first second every fourth step.
            if end - start > 3600 && step % 4 == 0 {
                start += 360;
                dropped_outputs += 125;
                buffer.drop_front(resample_index(360, from, to));
            }
        }
        assert!(dropped_outputs > 0, "the test never dropped a second");
    }

    #[test]
    fn settings_past_their_limits_are_errors() {
        let x = sine(5.0, 360.0, 100);
        for bad in [
            SincResampler {
                zero_crossings: MAX_ZERO_CROSSINGS + 1,
                ..SincResampler::default()
            },
            SincResampler {
                cutoff: MIN_CUTOFF / 2.0,
                ..SincResampler::default()
            },
            SincResampler {
                kaiser_beta: f64::INFINITY,
                ..SincResampler::default()
            },
        ] {
            let err = bad.resample(&x, 360.0, 250.0).unwrap_err();
            assert!(err.to_string().contains("resampler"), "{err}");
        }
        let widest = SincResampler {
            zero_crossings: MAX_ZERO_CROSSINGS,
            cutoff: MIN_CUTOFF,
            kaiser_beta: MAX_KAISER_BETA,
        };
        let y = widest.resample(&x, 360.0, 250.0).unwrap();
        assert!(y.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn an_output_over_the_bound_is_a_limit_error_before_any_allocation() {
        // 10^7 samples from 1 Hz to 1 kHz would be 10^10 outputs (40 GB).
        let signal = vec![0.0f32; 10_000_000];
        let err = resample(&signal, 1.0, 1000.0).unwrap_err();
        assert!(
            matches!(&err, Error::Limit { max, .. } if *max == MAX_RESAMPLED_LEN as u64),
            "{err}"
        );
        assert!(err.to_string().contains("10000000000"), "{err}");
        let resampler = SincResampler::default();
        let err = resampler
            .resample_with_limit(&signal[..1000], 360.0, 720.0, 1999)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Limit { limit, max: 1999, .. } if limit.contains("max_len")),
            "{err}"
        );
        let out = resampler
            .resample_with_limit(&signal[..1000], 360.0, 720.0, 2000)
            .unwrap();
        assert_eq!(out.len(), 2000);
    }

    #[test]
    fn output_length_is_rounded_ratio() {
        for n in [1usize, 7, 360, 1001, 650_000 / 100] {
            for (from, to) in [
                (360.0, 250.0),
                (250.0, 360.0),
                (360.0, 256.7),
                (128.0, 360.0),
            ] {
                let want = (n as f64 * to / from).round() as usize;
                if want == 0 {
                    assert!(resample(&vec![1.0; n], from, to).is_err());
                    continue;
                }
                let y = resample(&vec![0.25; n], from, to).unwrap();
                assert_eq!(y.len(), want, "{n} samples {from}->{to}");
                assert!(
                    y.iter().all(|v| (v - 0.25).abs() < 1e-6),
                    "a constant stays constant"
                );
            }
        }
    }

    #[test]
    fn peak_position_maps_by_the_ratio() {
        for (from, to, peak) in [
            (360.0, 250.0, 1000usize),
            (250.0, 360.0, 613),
            (360.0, 500.0, 37),
        ] {
            let x: Vec<f32> = (0..2000)
                .map(|i| (-((i as f64 - peak as f64) / 6.0).powi(2)).exp() as f32)
                .collect();
            let y = resample(&x, from, to).unwrap();
            let argmax = (0..y.len()).max_by(|&a, &b| y[a].total_cmp(&y[b])).unwrap();
            assert_eq!(argmax, resample_index(peak, from, to), "{from}->{to}");
        }
    }

    #[test]
    fn downsampling_removes_what_would_alias() {
        // 60 Hz cannot exist at 100 Hz (Nyquist 50): it must vanish, not fold to 40 Hz.
        let y = resample(&sine(60.0, 360.0, 3600), 360.0, 100.0).unwrap();
        let peak = y[100..900].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak < 1e-3, "aliased residue {peak}");
    }

    #[test]
    fn invalid_arguments_are_errors() {
        let x = sine(5.0, 360.0, 100);
        assert!(matches!(
            resample(&x, 0.0, 250.0),
            Err(Error::InvalidArgument { name: "fs", .. })
        ));
        assert!(matches!(
            resample(&x, 360.0, f64::NAN),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            resample(&x, 360.0, 1e9),
            Err(Error::InvalidArgument { name: "to_hz", .. })
        ));
        assert!(matches!(
            resample(&[], 360.0, 250.0),
            Err(Error::InvalidArgument { .. })
        ));
        let mut nan = x.clone();
        nan[40] = f32::NAN;
        assert!(matches!(
            resample(&nan, 360.0, 250.0),
            Err(Error::Signal { sample: 40, .. })
        ));
        let bad = SincResampler {
            cutoff: 1.5,
            ..SincResampler::default()
        };
        assert!(bad.resample(&x, 360.0, 250.0).is_err());
        assert_eq!(resample(&x, 360.0, 360.0).unwrap(), x);
    }
}
