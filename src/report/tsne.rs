//! t-SNE down to two dimensions, for latent-space pictures next to the PCA one.
//!
//! The embedding is `bhtsne`'s Barnes-Hut t-SNE, made reproducible here: the crate draws its
//! starting points and its neighbour tree's vantage points from the thread-local generator, so
//! [`Tsne::embed`] hands it a starting embedding drawn from the seed and an exact neighbour
//! table of its own (ties broken by index), and runs it on one thread, where rayon's sums always
//! add in the same order. The same codes and settings give the same points, bit for bit, on
//! a given machine and build (with two threads, runs of the same fit differed in the 13th
//! digit, which the picture would not show but a hash of it would).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use bhtsne::{Neighbor, tSNE};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::pca::check_rows;
use crate::{Error, Result};

/// Standard deviation of the starting points (the value of the original implementation).
const START_SD: f64 = 1e-4;

/// t-SNE settings and the embedding ([`embed`](Self::embed)).
///
/// The defaults embed 3,000 codes of 16 values in about 5 s in a release build, measured on
/// the project's 2-core machine (`/proc/cpuinfo`: "Intel(R) Xeon(R) Processor", family 6
/// model 167, 2.0 GHz) with another build sharing it. The fit runs on one thread whatever the
/// machine (see the module's description); two threads were no faster there, and not
/// reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tsne {
    /// Effective number of neighbours each point keeps (default 30): each point's Gaussian
    /// bandwidth is set so that its neighbour distribution has this perplexity, over its
    /// `floor(3 x perplexity)` nearest neighbours. At least 1; needs more points than
    /// `3 x perplexity`.
    pub perplexity: f64,
    /// Gradient-descent iterations (default 1,000), the first 250 with early exaggeration
    /// (bhtsne's default).
    pub iterations: usize,
    /// Barnes-Hut accuracy θ (default 0.5): larger is faster and coarser. Above 0.
    pub theta: f64,
    /// Seed of the starting points (default 42).
    pub seed: u64,
}

impl Default for Tsne {
    fn default() -> Self {
        Tsne {
            perplexity: 30.0,
            iterations: 1000,
            theta: 0.5,
            seed: 42,
        }
    }
}

impl Tsne {
    /// Most codes one embedding takes: the exact neighbour table costs `n²` distances (4·10⁸
    /// at this size), and a scatter of more points would be a blot anyway.
    pub const MAX_POINTS: usize = 20_000;

    /// Points needed at these settings: `floor(3 x perplexity) + 1`.
    pub fn min_points(&self) -> usize {
        (3.0 * self.perplexity) as usize + 1
    }

    /// The codes embedded in the plane, one point per code, in their order. Errors (never
    /// panics) on settings out of range, no codes, codes of different lengths or empty, a
    /// value that is not finite, fewer codes than [`min_points`](Self::min_points) or more than
    /// [`MAX_POINTS`](Self::MAX_POINTS); the
    /// points returned are all finite.
    ///
    /// The codes are scaled by their largest magnitude first, which leaves the picture as it
    /// is (each point's bandwidth follows the distances) and keeps huge values from
    /// overflowing.
    pub fn embed(&self, codes: &[Vec<f64>]) -> Result<Vec<(f64, f64)>> {
        self.check()?;
        let n = codes.len();
        let d = codes.first().map_or(0, Vec::len);
        if n == 0 || d == 0 {
            return Err(Error::invalid(
                "codes",
                format!("t-SNE needs codes of ≥ 1 value, got {n} x {d}"),
            ));
        }
        check_rows("codes", "code", codes)?;
        if n > Self::MAX_POINTS {
            let msg = format!(
                "{n} codes; a t-SNE picture takes at most {}",
                Self::MAX_POINTS
            );
            return Err(Error::invalid("codes", msg));
        }
        if n < self.min_points() {
            return Err(Error::invalid(
                "codes",
                format!(
                    "t-SNE at perplexity {} needs ≥ {} codes, got {n}",
                    self.perplexity,
                    self.min_points()
                ),
            ));
        }
        let scale = codes.iter().flatten().fold(0.0_f64, |m, v| m.max(v.abs()));
        let scaled: Vec<Vec<f64>> = if scale > 0.0 {
            codes
                .iter()
                .map(|c| c.iter().map(|v| v / scale).collect())
                .collect()
        } else {
            codes.to_vec()
        };
        let neighbours = nearest(&scaled, self.min_points() - 1);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let start: Vec<f64> = (0..2 * n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                START_SD * z
            })
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .map_err(|e| failed(format!("no thread to run on: {e}")))?;
        let fit = || {
            let mut tsne = tSNE::<f64, Vec<f64>, 2>::new(&scaled);
            tsne.perplexity(self.perplexity)
                .epochs(self.iterations)
                .initial_embedding(start)
                .barnes_hut_with_neighbors(self.theta, &neighbours);
            tsne.embedding()
        };
        let flat = pool
            .install(|| catch_unwind(AssertUnwindSafe(fit)))
            .map_err(|_| failed("bhtsne panicked".into()))?;
        if flat.len() != 2 * n || flat.iter().any(|v| !v.is_finite()) {
            return Err(failed(format!(
                "{} values for {n} codes, or one not finite",
                flat.len()
            )));
        }
        Ok(flat.chunks_exact(2).map(|p| (p[0], p[1])).collect())
    }

    fn check(&self) -> Result<()> {
        if !(self.perplexity.is_finite() && self.perplexity >= 1.0) {
            return Err(Error::invalid(
                "perplexity",
                format!("must be finite and ≥ 1, got {}", self.perplexity),
            ));
        }
        if self.iterations == 0 {
            return Err(Error::invalid("iterations", "must be ≥ 1"));
        }
        if !(self.theta.is_finite() && self.theta > 0.0) {
            return Err(Error::invalid(
                "theta",
                format!("must be finite and > 0, got {}", self.theta),
            ));
        }
        Ok(())
    }
}

/// Each code's `k` nearest others, nearest first (ties by index), with Euclidean distances:
/// exact, by brute force (`n²` distances: small beside the fit at 3,000 codes), so no random
/// vantage points. Each row is computed alone, so splitting rows over threads changes nothing.
fn nearest(codes: &[Vec<f64>], k: usize) -> Vec<Vec<Neighbor<f64>>> {
    codes
        .par_iter()
        .enumerate()
        .map(|(i, a)| {
            let mut others: Vec<(f64, usize)> = codes
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, b)| (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum(), j))
                .collect();
            let order =
                |x: &(f64, usize), y: &(f64, usize)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
            if k < others.len() {
                others.select_nth_unstable_by(k, order);
                others.truncate(k);
            }
            others.sort_unstable_by(order);
            others
                .into_iter()
                .map(|(squared, index)| Neighbor {
                    index,
                    distance: squared.sqrt(),
                })
                .collect()
        })
        .collect()
}

fn failed(message: String) -> Error {
    Error::Render {
        path: PathBuf::new(),
        message: format!("t-SNE: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `per` points around each of three centres 10 apart in 16 dimensions (unit noise), with
    /// their cluster.
    fn clusters(per: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut codes = Vec::new();
        let mut labels = Vec::new();
        for i in 0..3 * per {
            let c = i % 3;
            codes.push(
                (0..16)
                    .map(|j| {
                        let centre = if j == c { 10.0 / 2f64.sqrt() } else { 0.0 };
                        let z: f64 = StandardNormal.sample(&mut rng);
                        centre + z
                    })
                    .collect(),
            );
            labels.push(c);
        }
        (codes, labels)
    }

    fn quick() -> Tsne {
        Tsne {
            iterations: 300,
            ..Tsne::default()
        }
    }

    #[test]
    fn three_separated_clusters_stay_apart() {
        let (codes, labels) = clusters(100, 1);
        let points = Tsne::default().embed(&codes).unwrap();
        assert_eq!(points.len(), codes.len());
        assert!(points.iter().all(|p| p.0.is_finite() && p.1.is_finite()));
        let same = (0..points.len())
            .filter(|&i| {
                let d = |j: usize| (points[i].0 - points[j].0).hypot(points[i].1 - points[j].1);
                let j = (0..points.len())
                    .filter(|&j| j != i)
                    .min_by(|&a, &b| d(a).total_cmp(&d(b)))
                    .unwrap();
                labels[j] == labels[i]
            })
            .count();
        assert!(
            same as f64 > 0.95 * points.len() as f64,
            "{same} of {} share their nearest neighbour's cluster",
            points.len()
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_points_bit_for_bit() {
        let (codes, _) = clusters(40, 2);
        let bits = |points: Vec<(f64, f64)>| {
            points
                .into_iter()
                .flat_map(|(x, y)| [x.to_bits(), y.to_bits()])
                .collect::<Vec<_>>()
        };
        let first = bits(quick().embed(&codes).unwrap());
        // Another thread, with the global pool busy beside it.
        let codes2 = codes.clone();
        let other = std::thread::spawn(move || bits(quick().embed(&codes2).unwrap()));
        let busy: f64 = (0..2_000_000).into_par_iter().map(|i| i as f64).sum();
        assert!(busy > 0.0);
        assert_eq!(first, other.join().unwrap());
        assert_eq!(first, bits(quick().embed(&codes).unwrap()));
    }

    #[test]
    fn another_seed_gives_other_points() {
        let (codes, _) = clusters(40, 3);
        let a = quick().embed(&codes).unwrap();
        let b = Tsne { seed: 7, ..quick() }.embed(&codes).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn bad_codes_and_settings_are_errors_not_panics() {
        let (codes, _) = clusters(40, 4);
        let invalid = |r: Result<Vec<(f64, f64)>>, field: &str| match r {
            Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, field),
            other => panic!("{other:?}"),
        };
        invalid(quick().embed(&[]), "codes");
        invalid(quick().embed(&vec![Vec::new(); 200]), "codes");
        let mut ragged = codes.clone();
        ragged[5].pop();
        invalid(quick().embed(&ragged), "codes");
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut broken = codes.clone();
            broken[7][3] = bad;
            invalid(quick().embed(&broken), "codes");
        }
        // Perplexity 30 needs 91 codes.
        assert_eq!(quick().min_points(), 91);
        invalid(quick().embed(&codes[..90]), "codes");
        assert!(quick().embed(&codes[..91]).is_ok());
        for perplexity in [0.0, 0.5, -1.0, f64::NAN, f64::INFINITY] {
            let settings = Tsne {
                perplexity,
                ..quick()
            };
            invalid(settings.embed(&codes), "perplexity");
        }
        for theta in [0.0, -0.5, f64::NAN] {
            invalid(Tsne { theta, ..quick() }.embed(&codes), "theta");
        }
        let none = Tsne {
            iterations: 0,
            ..quick()
        };
        invalid(none.embed(&codes), "iterations");
        let too_many = vec![vec![0.5; 2]; Tsne::MAX_POINTS + 1];
        invalid(quick().embed(&too_many), "codes");
    }

    #[test]
    fn equal_and_huge_codes_give_finite_points() {
        let settings = Tsne {
            perplexity: 5.0,
            iterations: 200,
            ..Tsne::default()
        };
        let finite =
            |points: Vec<(f64, f64)>| points.iter().all(|p| p.0.is_finite() && p.1.is_finite());
        assert!(finite(settings.embed(&vec![vec![1.0; 8]; 40]).unwrap()));
        assert!(finite(settings.embed(&vec![vec![0.0; 8]; 40]).unwrap()));
        let (codes, _) = clusters(20, 5);
        let huge: Vec<Vec<f64>> = codes
            .iter()
            .map(|c| c.iter().map(|v| v * 1e300).collect())
            .collect();
        assert!(finite(settings.embed(&huge).unwrap()));
        let tiny: Vec<Vec<f64>> = codes
            .iter()
            .map(|c| c.iter().map(|v| v * 1e-310).collect())
            .collect();
        assert!(finite(settings.embed(&tiny).unwrap()));
    }
}
