//! Percentile bootstrap intervals over groups (e.g. test records): how much a figure would
//! move on another draw of patients.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A two-sided percentile interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Coverage, e.g. 0.95.
    pub level: f64,
}

/// Settings of [`bootstrap_groups`]: resamples, coverage and seed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// Resamples drawn, `10..=100_000`. Default: 1,000.
    pub resamples: usize,
    /// Coverage of the interval, in `(0, 1)`. Default: 0.95.
    pub level: f64,
    /// Seed of the draws. Default: 0.
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Self {
            resamples: 1_000,
            level: 0.95,
            seed: 0,
        }
    }
}

impl Bootstrap {
    /// Checks the settings; [`Error::InvalidArgument`] names the one out of range.
    pub fn validate(&self) -> Result<()> {
        if !(10..=100_000).contains(&self.resamples) {
            let msg = format!("{} is not in 10..=100000", self.resamples);
            return Err(Error::invalid("resamples", msg));
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::invalid(
                "level",
                format!("{} is not in (0, 1)", self.level),
            ));
        }
        Ok(())
    }
}

/// The percentile interval of `metric` when whole groups are drawn with replacement: item `i`
/// belongs to group `groups[i]` (`0..number of groups`); each resample draws as many groups as
/// there are and hands `metric` the items of the drawn groups (a group drawn twice, twice).
/// See [`bootstrap_draws`] for the rules.
pub fn bootstrap_groups(
    groups: &[usize],
    settings: &Bootstrap,
    metric: impl Fn(&[usize]) -> Result<f64> + Sync,
) -> Result<Interval> {
    let count = groups.iter().max().map_or(0, |&g| g + 1);
    let mut members = vec![Vec::new(); count];
    for (i, &g) in groups.iter().enumerate() {
        members[g].push(i);
    }
    bootstrap_draws(count, settings, |drawn| {
        let items: Vec<usize> = drawn
            .iter()
            .flat_map(|&g| members[g].iter().copied())
            .collect();
        metric(&items)
    })
}

/// The percentile interval of `metric` over resamples of `count` groups: each resample draws
/// `count` group indices with replacement and hands them to `metric` (e.g. to gather those
/// records' beats of several runs). Resamples on which `metric` fails or is not finite (e.g.
/// only one class drawn) are skipped; up to twice [`Bootstrap::resamples`] are drawn. Runs on
/// rayon's threads; the result depends only on the inputs and the seed.
///
/// Errors: no group, bad settings, or a metric defined on fewer than `resamples` draws.
pub fn bootstrap_draws(
    count: usize,
    settings: &Bootstrap,
    metric: impl Fn(&[usize]) -> Result<f64> + Sync,
) -> Result<Interval> {
    settings.validate()?;
    if count == 0 {
        return Err(Error::invalid("groups", "no group to resample"));
    }
    let draw = |attempt: u64| -> Option<f64> {
        let stream = attempt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(settings.seed ^ stream);
        let drawn: Vec<usize> = (0..count).map(|_| rng.random_range(0..count)).collect();
        metric(&drawn).ok().filter(|v| v.is_finite())
    };
    let attempts = 2 * settings.resamples as u64;
    let mut values: Vec<f64> = (0..attempts).into_par_iter().filter_map(draw).collect();
    if values.len() < settings.resamples {
        let msg = format!(
            "the metric was defined on {} of {attempts} resamples",
            values.len()
        );
        return Err(Error::invalid("metric", msg));
    }
    values.truncate(settings.resamples);
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - settings.level) / 2.0;
    let last = values.len() - 1;
    let at = |q: f64| values[((q * last as f64).round() as usize).min(last)];
    Ok(Interval {
        low: at(tail),
        high: at(1.0 - tail),
        level: settings.level,
    })
}

/// Mean and sample standard deviation of `values` (0 for one value); `None` for none.
pub fn mean_sd(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = match values.len() {
        1 => 0.0,
        _ => values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0),
    };
    Some((mean, var.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_of_a_mean_covers_it_and_narrows_with_more_groups() {
        // Group g's items all have value g % 10: the mean over items is 4.5.
        let interval = |groups: usize| {
            let ids: Vec<usize> = (0..groups * 5).map(|i| i / 5).collect();
            let value = |i: usize| (ids[i] % 10) as f64;
            let mean = |items: &[usize]| -> Result<f64> {
                Ok(items.iter().map(|&i| value(i)).sum::<f64>() / items.len() as f64)
            };
            bootstrap_groups(&ids, &Bootstrap::default(), mean).unwrap()
        };
        let (small, large) = (interval(20), interval(2_000));
        assert!(small.low < 4.5 && 4.5 < small.high, "{small:?}");
        assert!(large.low < 4.5 && 4.5 < large.high, "{large:?}");
        assert!(large.high - large.low < (small.high - small.low) / 4.0);
        // Standard error of the mean of 20 groups of values 0-9 (sd 2.87): 0.64; the 95 %
        // interval is about +-1.96 of it.
        let width = small.high - small.low;
        assert!((1.8..3.3).contains(&width), "{width}");
    }

    #[test]
    fn the_same_seed_gives_the_same_interval_and_groups_move_together() {
        let groups: Vec<usize> = (0..300).map(|i| i / 30).collect();
        let mean = |items: &[usize]| -> Result<f64> {
            Ok(items.iter().map(|&i| (i / 30) as f64).sum::<f64>() / items.len() as f64)
        };
        let settings = Bootstrap::default();
        let a = bootstrap_groups(&groups, &settings, mean).unwrap();
        assert_eq!(a, bootstrap_groups(&groups, &settings, mean).unwrap());
        let other = Bootstrap {
            seed: 1,
            ..settings
        };
        assert_ne!(a, bootstrap_groups(&groups, &other, mean).unwrap());
        // Every resample holds 300 items (10 groups of 30), whichever groups are drawn.
        let sizes = |items: &[usize]| -> Result<f64> { Ok(items.len() as f64) };
        let s = bootstrap_groups(&groups, &settings, sizes).unwrap();
        assert_eq!((s.low, s.high), (300.0, 300.0));
    }

    #[test]
    fn failing_metrics_and_bad_settings_are_errors() {
        let groups = [0, 1, 2];
        let never = |_: &[usize]| -> Result<f64> { Err(Error::invalid("x", "y")) };
        assert!(bootstrap_groups(&groups, &Bootstrap::default(), never).is_err());
        let nan = |_: &[usize]| -> Result<f64> { Ok(f64::NAN) };
        assert!(bootstrap_groups(&groups, &Bootstrap::default(), nan).is_err());
        let ok = |_: &[usize]| -> Result<f64> { Ok(1.0) };
        assert!(bootstrap_groups(&[], &Bootstrap::default(), ok).is_err());
        let few = Bootstrap {
            resamples: 3,
            ..Default::default()
        };
        assert!(bootstrap_groups(&groups, &few, ok).is_err());
        assert_eq!(mean_sd(&[1.0, 3.0]), Some((2.0, 2f64.sqrt())));
        assert_eq!(mean_sd(&[5.0]), Some((5.0, 0.0)));
        assert_eq!(mean_sd(&[]), None);
    }
}
