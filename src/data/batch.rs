//! Fixed-length beats or windows, and (feature `burn`) their Burn glue: a Burn `Dataset`,
//! batched into tensors.
//!
//! The samples of all items live in one contiguous buffer; a batch is one copy into a
//! `[batch, seq, channels]` float tensor plus a `[batch]` int tensor of anomaly labels.

#[cfg(feature = "burn")]
use burn::data::dataloader::batcher::Batcher;
#[cfg(feature = "burn")]
use burn::data::dataset::{Dataset, DatasetError};
#[cfg(feature = "burn")]
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::{Error, Result};

/// One beat or window: `seq * channels` samples, time-major (`[seq, channels]`), and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowItem {
    /// Samples, time-major: sample `t` of channel `c` is at `t * channels + c`.
    pub samples: Vec<f32>,
    /// True when the beat is annotated as anomalous (always false for unlabelled data).
    pub anomaly: bool,
}

/// An in-memory set of equal-length windows with anomaly labels, usable as a Burn `Dataset`
/// (feature `burn`).
#[derive(Debug, Clone)]
pub struct WindowDataset {
    data: Vec<f32>,
    seq: usize,
    channels: usize,
    anomaly: Vec<bool>,
}

impl WindowDataset {
    /// Wraps `data` (`[n, seq, channels]`, contiguous) with one label per window.
    /// [`Error::InvalidArgument`] when a window holds no sample, when `seq * channels` or the
    /// samples of all windows overflow `usize`, or when `data` does not fill the windows.
    pub fn new(data: Vec<f32>, seq: usize, channels: usize, anomaly: Vec<bool>) -> Result<Self> {
        let Some(width) = seq.checked_mul(channels) else {
            let msg = format!("{seq} x {channels} samples per window overflow usize");
            return Err(Error::invalid("seq", msg));
        };
        if width == 0 {
            return Err(Error::invalid(
                "seq",
                "windows must hold at least one sample",
            ));
        }
        if width.checked_mul(anomaly.len()) != Some(data.len()) {
            return Err(Error::invalid(
                "data",
                format!(
                    "{} samples do not make {} windows of {seq} x {channels}",
                    data.len(),
                    anomaly.len()
                ),
            ));
        }
        Ok(Self {
            data,
            seq,
            channels,
            anomaly,
        })
    }

    /// Samples per window and channel.
    pub fn seq(&self) -> usize {
        self.seq
    }

    /// Channels (leads) per window.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The samples of window `index`, time-major, or `None` past the end.
    pub fn window(&self, index: usize) -> Option<&[f32]> {
        // `new` checked that all windows' samples fit: no product below overflows.
        let width = self.seq * self.channels;
        if index >= self.len() {
            return None;
        }
        self.data.get(index * width..(index + 1) * width)
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.anomaly.len()
    }

    /// True when the set holds no window.
    pub fn is_empty(&self) -> bool {
        self.anomaly.is_empty()
    }

    /// Anomaly labels, one per window.
    pub fn labels(&self) -> &[bool] {
        &self.anomaly
    }

    /// All samples, window after window (`[n, seq, channels]`, contiguous).
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The windows at `indices` (in that order, repeats allowed) as a new set;
    /// [`Error::InvalidArgument`] naming the first index past the end.
    pub fn select(&self, indices: &[usize]) -> Result<Self> {
        let width = self.seq * self.channels;
        let samples = indices.len().checked_mul(width).ok_or_else(|| {
            let msg = format!(
                "{} windows of {width} samples overflow usize",
                indices.len()
            );
            Error::invalid("indices", msg)
        })?;
        let mut data = Vec::with_capacity(samples);
        let mut anomaly = Vec::with_capacity(indices.len());
        for &i in indices {
            let window = self.window(i).ok_or_else(|| {
                Error::invalid("indices", format!("window {i} of {} windows", self.len()))
            })?;
            data.extend_from_slice(window);
            anomaly.push(self.anomaly[i]);
        }
        Self::new(data, self.seq, self.channels, anomaly)
    }
}

#[cfg(feature = "burn")]
impl Dataset<WindowItem> for WindowDataset {
    fn get(&self, index: usize) -> Result<WindowItem, DatasetError> {
        let samples = self.window(index).ok_or_else(|| {
            DatasetError::new(Error::invalid(
                "index",
                format!("window {index} out of {} windows", self.len()),
            ))
        })?;
        Ok(WindowItem {
            samples: samples.to_vec(),
            anomaly: self.anomaly[index],
        })
    }

    fn len(&self) -> usize {
        WindowDataset::len(self)
    }
}

/// A batch ready for a model.
#[cfg(feature = "burn")]
#[derive(Debug, Clone)]
pub struct WindowBatch {
    /// Inputs, shape `[batch, seq, channels]`.
    pub inputs: Tensor<3>,
    /// Anomaly labels (1 anomalous, 0 normal), shape `[batch]`.
    pub anomaly: Tensor<1, Int>,
}

/// Stacks [`WindowItem`]s of `seq * channels` samples into a [`WindowBatch`].
#[cfg(feature = "burn")]
#[derive(Debug, Clone, Copy)]
pub struct WindowBatcher {
    /// Samples per window and channel.
    pub seq: usize,
    /// Channels (leads) per window.
    pub channels: usize,
}

#[cfg(feature = "burn")]
impl Batcher<WindowItem, WindowBatch> for WindowBatcher {
    /// Items whose length is not `seq * channels` are truncated or zero-padded to it; the
    /// [`WindowDataset`] this batcher is made for never yields such items.
    fn batch(&self, items: Vec<WindowItem>, device: &Device) -> WindowBatch {
        let width = self.seq * self.channels;
        let mut inputs = Vec::with_capacity(items.len() * width);
        let mut labels = Vec::with_capacity(items.len());
        for item in &items {
            let take = item.samples.len().min(width);
            inputs.extend_from_slice(&item.samples[..take]);
            inputs.resize(inputs.len() + width - take, 0.0);
            labels.push(i64::from(item.anomaly));
        }
        let n = items.len();
        WindowBatch {
            inputs: Tensor::from_data(
                TensorData::new(inputs, [n, self.seq, self.channels]),
                device,
            ),
            anomaly: Tensor::from_data(TensorData::new(labels, [n]), device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset() -> WindowDataset {
        let data: Vec<f32> = (0..3 * 4 * 2).map(|v| v as f32).collect();
        WindowDataset::new(data, 4, 2, vec![false, true, false]).unwrap()
    }

    #[test]
    fn rejects_data_that_does_not_fill_the_windows() {
        let err = WindowDataset::new(vec![0.0; 7], 4, 2, vec![false]).unwrap_err();
        assert!(err.to_string().contains("7 samples"), "{err}");
    }

    #[test]
    fn sizes_that_overflow_usize_are_errors_not_wrapped() {
        // Issue 29: `seq * channels` wrapped in release builds (here 2^63 * 2 = 0 windows of
        // "width" 0 accepted the empty data) and panicked in debug ones.
        let half = 1usize << (usize::BITS - 1);
        let err = WindowDataset::new(vec![], half, 2, vec![]).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name: "seq", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("overflow"), "{err}");
        // Windows that fit, but not as many as the labels say.
        let err = WindowDataset::new(vec![0.0; 4], half, 1, vec![false, false]).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name: "data", .. }),
            "{err}"
        );
        assert_eq!(dataset().window(usize::MAX), None);
        // No window, but their width makes a selection's size overflow.
        let wide = WindowDataset::new(vec![], half, 1, vec![]).unwrap();
        let err = wide.select(&[0, 0]).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::InvalidArgument {
                    name: "indices",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("overflow"), "{err}");
    }

    #[test]
    fn select_copies_windows_and_labels_in_order() {
        let ds = dataset();
        let picked = ds.select(&[2, 1]).unwrap();
        assert_eq!(picked.labels(), [false, true]);
        assert_eq!(picked.window(0), ds.window(2));
        assert_eq!(picked.data().len(), 16);
        assert!(ds.select(&[3]).is_err());
    }

    #[cfg(feature = "burn")]
    #[test]
    fn get_returns_the_window_and_label_and_errs_past_the_end() {
        let ds = dataset();
        let item = ds.get(1).unwrap();
        assert_eq!(item.samples, (8..16).map(|v| v as f32).collect::<Vec<_>>());
        assert!(item.anomaly);
        assert!(ds.get(3).is_err());
    }

    #[cfg(feature = "burn")]
    #[test]
    fn batch_has_the_model_layout() {
        let ds = dataset();
        let device = crate::device::default_device();
        let items = vec![ds.get(2).unwrap(), ds.get(1).unwrap()];
        let batch = WindowBatcher {
            seq: 4,
            channels: 2,
        }
        .batch(items, &device);
        assert_eq!(batch.inputs.dims(), [2, 4, 2]);
        let values = batch.inputs.into_data().try_to_vec::<f32>().unwrap();
        // Window 2 is samples 16..24: sample t=1, channel 1 is 16 + 1*2 + 1.
        assert_eq!(values[3], 19.0);
        assert_eq!(values[8], 8.0);
        let labels = batch
            .anomaly
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .unwrap();
        assert_eq!(labels, vec![0, 1]);
    }
}
