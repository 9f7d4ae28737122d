//! Mahalanobis distance of a latent code from the codes of normal training beats.
//!
//! Fitting takes the mean and covariance of the training latents, regularises the covariance
//! (latent dimensions are often nearly collinear) and keeps its Cholesky factor `L`
//! (`Σ = L Lᵀ`); the distance is `sqrt(|L⁻¹ (z - μ)|²)`. Dimensions are small (16-64), so
//! this is plain Rust on the host.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{AnomalyScore, BatchScores, squared_error_map, to_host};
use crate::model::Reconstruction;
use crate::{Error, Result};

/// How the sample covariance `S` is made well-conditioned before it is inverted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CovarianceRegularization {
    /// `(1 - a) S + a (tr(S) / dim) I` with `a` in `[0, 1]`: shrinkage towards the scaled
    /// identity (the Ledoit-Wolf target, with a fixed intensity). Default `a = 0.01`.
    Shrinkage(f64),
    /// `S + r I` with `r >= 0`.
    Ridge(f64),
}

impl Default for CovarianceRegularization {
    fn default() -> Self {
        CovarianceRegularization::Shrinkage(0.01)
    }
}

/// The Mahalanobis distance to the normal latents, fitted by [`Mahalanobis::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mahalanobis {
    dim: usize,
    mean: Vec<f64>,
    /// Lower-triangular Cholesky factor of the regularised covariance, row-major `[dim, dim]`.
    cholesky: Vec<f64>,
    regularization: CovarianceRegularization,
}

impl Mahalanobis {
    /// Fits on `latents`, `n` codes of `dim` values each, row-major (`n >= 2`). An error for
    /// non-finite values, a bad regularisation parameter, or a regularised covariance that is
    /// still not positive definite (e.g. `Ridge(0)` on collinear codes).
    pub fn fit(
        latents: &[f64],
        dim: usize,
        regularization: CovarianceRegularization,
    ) -> Result<Self> {
        if dim == 0 || !latents.len().is_multiple_of(dim) {
            return Err(Error::invalid(
                "latents",
                format!("{} values are not rows of {dim}", latents.len()),
            ));
        }
        let n = latents.len() / dim;
        if n < 2 {
            return Err(Error::invalid("latents", "need at least 2 codes"));
        }
        if let Some(i) = latents.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "latents",
                format!("value {} of code {} is not finite", i % dim, i / dim),
            ));
        }
        let mut mean = vec![0.0; dim];
        for row in latents.chunks_exact(dim) {
            mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut cov = vec![0.0; dim * dim];
        let mut centred = vec![0.0; dim];
        for row in latents.chunks_exact(dim) {
            centred
                .iter_mut()
                .enumerate()
                .for_each(|(j, c)| *c = row[j] - mean[j]);
            for i in 0..dim {
                for j in 0..=i {
                    cov[i * dim + j] += centred[i] * centred[j];
                }
            }
        }
        for i in 0..dim {
            for j in 0..=i {
                cov[i * dim + j] /= (n - 1) as f64;
                cov[j * dim + i] = cov[i * dim + j];
            }
        }
        regularize(&mut cov, dim, regularization)?;
        let cholesky = cholesky(&cov, dim).ok_or_else(|| {
            Error::invalid(
                "regularization",
                format!(
                    "the covariance of {n} codes is not positive definite under \
                     {regularization:?}; use a larger shrinkage or ridge"
                ),
            )
        })?;
        Ok(Self {
            dim,
            mean,
            cholesky,
            regularization,
        })
    }

    /// Latent size.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Mean of the training codes.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The regularisation used in fitting.
    pub fn regularization(&self) -> CovarianceRegularization {
        self.regularization
    }

    /// Checks a loaded value: `dim >= 1`, a mean of `dim` and a factor of `dim²` finite values
    /// with a positive diagonal; the message says what is wrong.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let dim = self.dim;
        if dim == 0 || self.mean.len() != dim || Some(self.cholesky.len()) != dim.checked_mul(dim) {
            return Err(format!(
                "mahalanobis: dim {dim} with a mean of {} and a factor of {} values",
                self.mean.len(),
                self.cholesky.len()
            ));
        }
        if self
            .mean
            .iter()
            .chain(&self.cholesky)
            .any(|v| !v.is_finite())
        {
            return Err("mahalanobis: a non-finite mean or factor value".into());
        }
        if (0..dim).any(|i| self.cholesky[i * dim + i] <= 0.0) {
            return Err("mahalanobis: the factor's diagonal is not positive".into());
        }
        Ok(())
    }

    /// Squared distance `(z - μ)ᵀ Σ⁻¹ (z - μ)` of one code; an error when `z.len() != dim`.
    pub fn squared_distance(&self, z: &[f64]) -> Result<f64> {
        self.validate()
            .map_err(|m| Error::invalid("mahalanobis", m))?;
        if z.len() != self.dim {
            return Err(Error::invalid(
                "latent",
                format!("code of {} values, fitted on {}", z.len(), self.dim),
            ));
        }
        Ok(self.squared_distance_into(z, &mut vec![0.0; self.dim]))
    }

    /// Distances of `n` codes, row-major `[n, dim]`. The fitted value is checked once, and one
    /// scratch row serves every code.
    pub fn distances(&self, latents: &[f64]) -> Result<Vec<f64>> {
        self.validate()
            .map_err(|m| Error::invalid("mahalanobis", m))?;
        if !latents.len().is_multiple_of(self.dim) {
            return Err(Error::invalid(
                "latents",
                format!("{} values are not rows of {}", latents.len(), self.dim),
            ));
        }
        let mut y = vec![0.0; self.dim];
        Ok(latents
            .chunks_exact(self.dim)
            .map(|z| self.squared_distance_into(z, &mut y).sqrt())
            .collect())
    }

    /// `|L⁻¹ (z - μ)|²` by forward substitution into `y`; `z` and `y` hold `dim` values and
    /// the fitted value has passed [`Mahalanobis::validate`].
    fn squared_distance_into(&self, z: &[f64], y: &mut [f64]) -> f64 {
        let dim = self.dim;
        let mut total = 0.0;
        for i in 0..dim {
            let row = &self.cholesky[i * dim..i * dim + i];
            let dot: f64 = row.iter().zip(&y[..i]).map(|(l, y)| l * y).sum();
            y[i] = (z[i] - self.mean[i] - dot) / self.cholesky[i * dim + i];
            total += y[i] * y[i];
        }
        total
    }
}

impl AnomalyScore for Mahalanobis {
    fn name(&self) -> &str {
        "mahalanobis"
    }

    /// The Mahalanobis distance of each window's latent code; error map: squared
    /// reconstruction error (the latent space has no time axis).
    fn score(&self, input: &Tensor<3>, rec: &Reconstruction) -> Result<BatchScores> {
        let [_, dim] = rec.latent.dims();
        if dim != self.dim {
            return Err(Error::invalid(
                "latent",
                format!(
                    "model latent size {dim}, Mahalanobis fitted on {}",
                    self.dim
                ),
            ));
        }
        Ok(BatchScores {
            scores: self.distances(&to_host(&rec.latent)?)?,
            error_map: Some(squared_error_map(input, rec)?),
        })
    }
}

fn regularize(cov: &mut [f64], dim: usize, reg: CovarianceRegularization) -> Result<()> {
    match reg {
        CovarianceRegularization::Shrinkage(a) if (0.0..=1.0).contains(&a) => {
            let scale = (0..dim).map(|i| cov[i * dim + i]).sum::<f64>() / dim as f64;
            cov.iter_mut().for_each(|c| *c *= 1.0 - a);
            (0..dim).for_each(|i| cov[i * dim + i] += a * scale);
        }
        CovarianceRegularization::Ridge(r) if r >= 0.0 && r.is_finite() => {
            (0..dim).for_each(|i| cov[i * dim + i] += r);
        }
        other => {
            return Err(Error::invalid(
                "regularization",
                format!("{other:?}: shrinkage must be in [0, 1], ridge finite and >= 0"),
            ));
        }
    }
    Ok(())
}

/// Cholesky factor `L` (row-major, lower) of a symmetric `[dim, dim]` matrix, or `None` when it
/// is not numerically positive definite (a pivot below `1e-12` of the largest diagonal entry).
fn cholesky(a: &[f64], dim: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; dim * dim];
    let max_diag = (0..dim).map(|i| a[i * dim + i].abs()).fold(0.0, f64::max);
    let tolerance = max_diag * 1e-12;
    for i in 0..dim {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * dim + k] * l[j * dim + k]).sum();
            let value = a[i * dim + j] - dot;
            if i == j {
                if value <= tolerance || !value.is_finite() {
                    return None;
                }
                l[i * dim + i] = value.sqrt();
            } else {
                l[i * dim + j] = value / l[j * dim + j];
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::{CovarianceRegularization, Mahalanobis, cholesky};

    #[test]
    fn cholesky_rebuilds_its_matrix_and_rejects_singular_ones() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&a, 2).unwrap();
        assert_eq!(l, vec![2.0, 0.0, 1.0, 2f64.sqrt()]);
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_none());
    }

    #[test]
    fn distances_equal_each_codes_own_distance() {
        // Correlated 3-d codes from a fixed recurrence; one scratch row serves all of them.
        let codes: Vec<f64> = (0..60)
            .map(|i| {
                let t = i as f64 * 0.37;
                [t.sin(), t.sin() * 0.5 + t.cos(), (t * 1.7).sin()][i % 3]
            })
            .collect();
        let m = Mahalanobis::fit(&codes, 3, CovarianceRegularization::default()).unwrap();
        let all = m.distances(&codes).unwrap();
        assert_eq!(all.len(), 20);
        for (z, d) in codes.chunks_exact(3).zip(&all) {
            assert_eq!(m.squared_distance(z).unwrap().sqrt().to_bits(), d.to_bits());
        }
        assert!(all.iter().all(|d| d.is_finite() && *d > 0.0));
    }
}
