//! Principal component analysis down to two components, for latent-space pictures.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A fitted 2-component PCA: the data mean and the two leading covariance eigenvectors.
///
/// Fitting builds the `d x d` covariance and runs orthogonal (subspace) iteration with a
/// Rayleigh–Ritz step, so it suits latent codes and beats (`d` up to a few hundred).
/// Each component's sign is fixed so that its largest-magnitude entry is positive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// Mean of each input dimension.
    pub mean: Vec<f64>,
    /// The two unit-length principal axes, largest variance first.
    pub components: [Vec<f64>; 2],
    /// Variance of the data along each axis.
    pub explained_variance: [f64; 2],
    /// Total variance of the data (trace of the covariance).
    pub total_variance: f64,
}

impl Pca {
    /// Fits on `rows` (at least 2 rows of the same length ≥ 2, all finite).
    pub fn fit(rows: &[Vec<f64>]) -> Result<Pca> {
        let d = rows.first().map_or(0, Vec::len);
        if rows.len() < 2 || d < 2 {
            return Err(Error::invalid(
                "rows",
                format!("PCA needs ≥ 2 rows of ≥ 2 values, got {} x {d}", rows.len()),
            ));
        }
        check_rows("rows", "row", rows)?;
        let n = rows.len() as f64;
        let mut mean = vec![0.0; d];
        rows.iter()
            .for_each(|r| r.iter().zip(&mut mean).for_each(|(v, m)| *m += v / n));
        let mut cov = vec![0.0; d * d];
        let mut centred = vec![0.0; d];
        for row in rows {
            centred
                .iter_mut()
                .zip(row)
                .zip(&mean)
                .for_each(|((c, v), m)| *c = v - m);
            for a in 0..d {
                let ca = centred[a];
                let line = &mut cov[a * d..a * d + a + 1];
                line.iter_mut()
                    .zip(&centred)
                    .for_each(|(c, cb)| *c += ca * cb);
            }
        }
        for a in 0..d {
            for b in 0..=a {
                let v = cov[a * d + b] / (n - 1.0);
                cov[a * d + b] = v;
                cov[b * d + a] = v;
            }
        }
        let total_variance = (0..d).map(|a| cov[a * d + a]).sum();
        let (components, explained_variance) = top_two(&cov, d);
        Ok(Pca {
            mean,
            components,
            explained_variance,
            total_variance,
        })
    }

    /// Projects one row onto the two components.
    pub fn transform(&self, row: &[f64]) -> Result<(f64, f64)> {
        if row.len() != self.mean.len() {
            return Err(Error::invalid(
                "row",
                format!(
                    "{} values, the PCA was fitted on {}",
                    row.len(),
                    self.mean.len()
                ),
            ));
        }
        let project = |c: &[f64]| {
            row.iter()
                .zip(&self.mean)
                .zip(c)
                .map(|((v, m), c)| (v - m) * c)
                .sum()
        };
        Ok((project(&self.components[0]), project(&self.components[1])))
    }

    /// Projects every row.
    pub fn transform_all(&self, rows: &[Vec<f64>]) -> Result<Vec<(f64, f64)>> {
        rows.iter().map(|r| self.transform(r)).collect()
    }

    /// Fraction of the total variance along each component (0 when the data are constant).
    pub fn explained_variance_ratio(&self) -> [f64; 2] {
        let t = self.total_variance;
        self.explained_variance
            .map(|v| if t > 0.0 { v / t } else { 0.0 })
    }
}

fn mat_vec(m: &[f64], d: usize, v: &[f64]) -> Vec<f64> {
    m.chunks(d)
        .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Gram–Schmidt on two vectors; a vanishing one is replaced by a unit vector orthogonal to the first.
fn orthonormalise(u: &mut [f64], v: &mut [f64]) {
    let norm = |x: &[f64]| dot(x, x).sqrt();
    let nu = norm(u);
    if nu < 1e-300 {
        u.iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = if i == 0 { 1.0 } else { 0.0 });
    } else {
        u.iter_mut().for_each(|x| *x /= nu);
    }
    for _ in 0..2 {
        let p = dot(u, v);
        v.iter_mut().zip(u.iter()).for_each(|(x, y)| *x -= p * y);
    }
    let nv = norm(v);
    if nv < 1e-12 * nu.max(1e-300) || nv < 1e-300 {
        // Any unit vector orthogonal to u: the axis where u is smallest, projected off u.
        let k = (0..u.len())
            .min_by(|&a, &b| u[a].abs().total_cmp(&u[b].abs()))
            .unwrap_or(0);
        v.iter_mut()
            .enumerate()
            .for_each(|(i, x)| *x = if i == k { 1.0 } else { 0.0 } - u[k] * u[i]);
        let nv = norm(v);
        v.iter_mut().for_each(|x| *x /= nv);
    } else {
        v.iter_mut().for_each(|x| *x /= nv);
    }
}

/// The two leading eigenpairs of the symmetric `d x d` matrix `m`.
fn top_two(m: &[f64], d: usize) -> ([Vec<f64>; 2], [f64; 2]) {
    // Deterministic, generic start vectors (a fixed quasi-random sequence).
    let mut u: Vec<f64> = (0..d)
        .map(|i| 1.0 + ((i as f64 * 0.618_034).fract() - 0.5) * 0.9)
        .collect();
    let mut v: Vec<f64> = (0..d)
        .map(|i| (i as f64 * 0.754_877 + 0.3).fract() - 0.5)
        .collect();
    orthonormalise(&mut u, &mut v);
    for _ in 0..2000 {
        let (mut nu, mut nv) = (mat_vec(m, d, &u), mat_vec(m, d, &v));
        orthonormalise(&mut nu, &mut nv);
        let change = 1.0 - dot(&nu, &u).abs().min(dot(&nv, &v).abs());
        (u, v) = (nu, nv);
        if change < 1e-15 {
            break;
        }
    }
    // Rayleigh–Ritz: diagonalise the 2x2 projection so close eigenvalues separate correctly.
    let (mu, mv) = (mat_vec(m, d, &u), mat_vec(m, d, &v));
    let (a, b, c) = (dot(&u, &mu), dot(&u, &mv), dot(&v, &mv));
    let theta = 0.5 * (2.0 * b).atan2(a - c);
    let (s, co) = theta.sin_cos();
    let mut p1: Vec<f64> = u.iter().zip(&v).map(|(x, y)| co * x + s * y).collect();
    let mut p2: Vec<f64> = u.iter().zip(&v).map(|(x, y)| -s * x + co * y).collect();
    let l1 = a * co * co + 2.0 * b * s * co + c * s * s;
    let l2 = a * s * s - 2.0 * b * s * co + c * co * co;
    for p in [&mut p1, &mut p2] {
        let k = (0..d)
            .max_by(|&i, &j| p[i].abs().total_cmp(&p[j].abs()))
            .unwrap_or(0);
        if p[k] < 0.0 {
            p.iter_mut().for_each(|x| *x = -*x);
        }
    }
    if l2 > l1 {
        ([p2, p1], [l2.max(0.0), l1.max(0.0)])
    } else {
        ([p1, p2], [l1.max(0.0), l2.max(0.0)])
    }
}

/// Errors (on `field`, naming each row `item i`) unless every row has as many values as the
/// first and all are finite: the points PCA and t-SNE take.
pub(super) fn check_rows(field: &'static str, item: &str, rows: &[Vec<f64>]) -> Result<()> {
    let d = rows.first().map_or(0, Vec::len);
    for (i, row) in rows.iter().enumerate() {
        if row.len() != d {
            let msg = format!("{item} {i} has {} values, not {d}", row.len());
            return Err(Error::invalid(field, msg));
        }
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                field,
                format!("{item} {i} value {j} is not finite"),
            ));
        }
    }
    Ok(())
}
