//! The two standard MIT-BIH evaluation protocols as values: which records, how beats are cut
//! and labelled, and how they are divided into training, validation and test sets.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::beatset::BeatSet;
use super::config::{BeatConfig, RPeakFilter};
use super::counts::BuildCounts;
use super::extract::{LoadedBeats, load_beats};
use super::records::{DS1, DS2, NON_PACED_RECORDS};
use crate::data::beat::{AamiClass, AamiMapping};
use crate::{Error, Result};

/// How a protocol divides beats into training and test sets. Training (and validation) beats
/// are always normal (class N): the models are trained without anomalies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Partition {
    /// Intra-patient: the N beats of `records` are shuffled by the seed and dealt into `folds`
    /// equal folds; fold `fold`'s N beats and every abnormal beat form the test set, the other
    /// folds the training pool. Patients appear on both sides.
    NormalFolds {
        /// Records whose beats are used.
        records: Vec<String>,
        /// Number of folds (at least 2).
        folds: usize,
        /// The test fold, `0..folds`.
        fold: usize,
    },
    /// Inter-patient: the N beats of the `train` records form the training pool, every beat of
    /// the `test` records the test set. No record may be in both.
    ByRecord {
        /// Records of the training pool.
        train: Vec<String>,
        /// Records of the test set.
        test: Vec<String>,
    },
}

/// An evaluation protocol: records and partition, beat settings, seed and validation share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// Which beats are trained and tested on.
    pub partition: Partition,
    /// How beats are cut and labelled (lead, window, mapping, filters).
    pub beats: BeatConfig,
    /// Seed of the fold and validation shuffles.
    pub seed: u64,
    /// Share of the training pool held out as the (normal-only) validation set, in `[0, 1)`,
    /// e.g. for early stopping.
    pub validation_fraction: f64,
    /// [`Partition::ByRecord`] only: hold out that share of the training *records* (at least
    /// one, drawn by the seed) and validate on their normal beats, so that validation
    /// patients are never trained on and a threshold fitted on them meets new patients as the
    /// test set will. `false` (the default in JSON): a share of the pool's beats, drawn from
    /// every training record.
    #[serde(default)]
    pub validation_by_record: bool,
}

/// Beat indices of the three sets, each ascending, into the [`BeatSet`] they were split from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitIndices {
    /// Normal beats to train on.
    pub train: Vec<usize>,
    /// Normal beats held out from training.
    pub validation: Vec<usize>,
    /// Beats to evaluate on, normal and abnormal.
    pub test: Vec<usize>,
}

/// The three beat sets of a protocol and the counts of the records they were built from.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolData {
    /// Normal beats to train on.
    pub train: BeatSet,
    /// Normal beats held out from training.
    pub validation: BeatSet,
    /// Beats to evaluate on (anomaly = class other than N).
    pub test: BeatSet,
    /// Annotated, segmentable and kept beats of all the protocol's records.
    pub counts: BuildCounts,
}

impl Protocol {
    /// The default share of the training pool used for validation (10 %).
    pub const DEFAULT_VALIDATION_FRACTION: f64 = 0.1;

    /// P1, intra-patient, compatible with BeatGAN (Zhou et al., IJCAI 2019): the 44 non-paced
    /// records, lead MLII, 0.5–40 Hz band-pass, 140 + 180 samples around each annotation, the
    /// [`AamiMapping::beatgan`] classes (N = {N, L, R}), N beats kept only with a detected
    /// R-peak within 10 samples ([`RPeakFilter::default`]), 5 folds of N beats.
    pub fn intra_patient(fold: usize, seed: u64) -> Self {
        Self {
            partition: Partition::NormalFolds {
                records: strings(&NON_PACED_RECORDS),
                folds: 5,
                fold,
            },
            beats: BeatConfig {
                mapping: AamiMapping::beatgan(),
                r_peak_filter: Some(RPeakFilter::default()),
                ..BeatConfig::default()
            },
            seed,
            validation_fraction: Self::DEFAULT_VALIDATION_FRACTION,
            validation_by_record: false,
        }
    }

    /// P2, inter-patient (de Chazal et al. 2004): train on the N beats of DS1, test on every
    /// beat of DS2; lead MLII, 0.5–40 Hz band-pass, 140 + 180 samples, [`AamiMapping::aami_ec57`]
    /// classes (N = {N, L, R, e, j}), no R-peak filter. Paced records are in neither set.
    /// Validation holds out [`DEFAULT_VALIDATION_RECORDS`](Self::DEFAULT_VALIDATION_RECORDS)
    /// of DS1's records whole ([`validation_by_record`](Self::validation_by_record)).
    pub fn inter_patient(seed: u64) -> Self {
        Self::by_record(strings(&DS1), strings(&DS2), seed)
    }

    /// The default share of the training records held out whole for validation by
    /// [`Protocol::inter_patient`] (20 %: 4 of DS1's 22 records).
    pub const DEFAULT_VALIDATION_RECORDS: f64 = 0.2;

    /// An inter-patient protocol on any records: P2's beats and classes, training on the N
    /// beats of `train` less a fifth of its records held out whole for validation, testing on
    /// every beat of `test` (e.g. one fold of a cross-validation inside DS1).
    pub fn by_record(train: Vec<String>, test: Vec<String>, seed: u64) -> Self {
        Self {
            partition: Partition::ByRecord { train, test },
            beats: BeatConfig::default(),
            seed,
            validation_fraction: Self::DEFAULT_VALIDATION_RECORDS,
            validation_by_record: true,
        }
    }

    /// Every record the protocol reads, training records first, without repeats.
    pub fn records(&self) -> Vec<&str> {
        let listed: Vec<&String> = match &self.partition {
            Partition::NormalFolds { records, .. } => records.iter().collect(),
            Partition::ByRecord { train, test } => train.iter().chain(test).collect(),
        };
        let mut seen = HashSet::new();
        listed
            .into_iter()
            .map(String::as_str)
            .filter(|r| seen.insert(*r))
            .collect()
    }

    /// Checks the partition and validation share ([`Error::InvalidArgument`] naming the field).
    pub fn validate(&self) -> Result<()> {
        if !(0.0..1.0).contains(&self.validation_fraction) {
            return Err(Error::invalid(
                "validation_fraction",
                format!("{} is not in [0, 1)", self.validation_fraction),
            ));
        }
        match &self.partition {
            Partition::NormalFolds {
                records,
                folds,
                fold,
            } => {
                if records.is_empty() {
                    return Err(Error::invalid("records", "no record"));
                }
                if *folds < 2 || fold >= folds {
                    return Err(Error::invalid(
                        "fold",
                        format!("fold {fold} of {folds} folds (need folds >= 2, fold < folds)"),
                    ));
                }
            }
            Partition::ByRecord { train, test } => {
                if train.is_empty() || test.is_empty() {
                    return Err(Error::invalid("records", "no training or no test record"));
                }
                if let Some(r) = train.iter().find(|r| test.contains(r)) {
                    return Err(Error::invalid(
                        "records",
                        format!("record {r} is both a training and a test record"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Reads and cuts the beats of every record of the protocol from `dir` (see
    /// [`super::load_beats`]); split them with [`Protocol::split`] or [`Protocol::assemble`].
    pub fn load(&self, dir: &Path) -> Result<LoadedBeats> {
        self.validate()?;
        load_beats(dir, &self.records(), &self.beats)
    }

    /// [`Protocol::load`] then [`Protocol::assemble`].
    pub fn build(&self, dir: &Path) -> Result<ProtocolData> {
        self.assemble(&self.load(dir)?)
    }

    /// The training, validation and test sets of already loaded beats (e.g. to try several
    /// folds or seeds on one load).
    pub fn assemble(&self, loaded: &LoadedBeats) -> Result<ProtocolData> {
        let split = self.split(&loaded.beats)?;
        Ok(ProtocolData {
            train: loaded.beats.select(&split.train)?,
            validation: loaded.beats.select(&split.validation)?,
            test: loaded.beats.select(&split.test)?,
            counts: loaded.counts,
        })
    }

    /// Divides `beats` by the partition; beats of records the protocol does not list are left
    /// out. The result depends only on the beats (in order), the partition and the seed.
    pub fn split(&self, beats: &BeatSet) -> Result<SplitIndices> {
        self.validate()?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let is_normal = |i: &usize| beats.beats()[*i].class == AamiClass::N;
        let (mut pool, mut test) = match &self.partition {
            Partition::NormalFolds {
                records,
                folds,
                fold,
            } => {
                let used = indices_of(beats, records);
                let (mut normal, abnormal): (Vec<usize>, Vec<usize>) =
                    used.into_iter().partition(is_normal);
                if normal.len() < *folds {
                    return Err(Error::Dataset(format!(
                        "{} normal beats cannot make {folds} folds",
                        normal.len()
                    )));
                }
                normal.shuffle(&mut rng);
                let n = normal.len();
                let (start, end) = (n * fold / folds, n * (fold + 1) / folds);
                let mut test: Vec<usize> = normal.drain(start..end).collect();
                test.extend(abnormal);
                (normal, test)
            }
            Partition::ByRecord { train, test } if self.validation_by_record => {
                let mut records = train.clone();
                records.shuffle(&mut rng);
                let held =
                    ((records.len() as f64 * self.validation_fraction).round() as usize).max(1);
                if held >= records.len() {
                    let msg = format!(
                        "{} training records cannot hold out {held} for validation",
                        records.len()
                    );
                    return Err(Error::invalid("validation_fraction", msg));
                }
                let normal_of = |records: &[String]| -> Vec<usize> {
                    indices_of(beats, records)
                        .into_iter()
                        .filter(is_normal)
                        .collect()
                };
                let (validation, pool) = (normal_of(&records[..held]), normal_of(&records[held..]));
                if pool.is_empty() || validation.is_empty() {
                    return Err(Error::Dataset(format!(
                        "no normal beat to train on or to validate on (validation records {:?})",
                        &records[..held]
                    )));
                }
                return Ok(SplitIndices {
                    train: pool,
                    validation,
                    test: indices_of(beats, test),
                });
            }
            Partition::ByRecord { train, test } => {
                let pool: Vec<usize> = indices_of(beats, train)
                    .into_iter()
                    .filter(is_normal)
                    .collect();
                (pool, indices_of(beats, test))
            }
        };
        if pool.is_empty() {
            return Err(Error::Dataset("no normal beat to train on".into()));
        }
        pool.shuffle(&mut rng);
        let n_validation = (pool.len() as f64 * self.validation_fraction).round() as usize;
        let mut validation: Vec<usize> = pool.drain(..n_validation.min(pool.len())).collect();
        for set in [&mut pool, &mut validation, &mut test] {
            set.sort_unstable();
        }
        Ok(SplitIndices {
            train: pool,
            validation,
            test,
        })
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.partition {
            Partition::NormalFolds {
                records,
                folds,
                fold,
            } => write!(
                f,
                "intra-patient, {} records, fold {fold} of {folds}",
                records.len()
            ),
            Partition::ByRecord { train, test } => write!(
                f,
                "inter-patient, {} training records, {} test records",
                train.len(),
                test.len()
            ),
        }?;
        write!(f, ", lead {}, seed {}", self.beats.lead, self.seed)
    }
}

/// Indices of the beats whose record is one of `records`.
fn indices_of(beats: &BeatSet, records: &[String]) -> Vec<usize> {
    let wanted: HashSet<&str> = records.iter().map(String::as_str).collect();
    (0..beats.count())
        .filter(|&i| wanted.contains(&*beats.beats()[i].record))
        .collect()
}

fn strings(records: &[&str]) -> Vec<String> {
    records.iter().map(|r| r.to_string()).collect()
}
