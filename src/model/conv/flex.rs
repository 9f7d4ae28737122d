//! The convolutions on Flex tensors: contiguous `f32` views in, new tensors out, with what
//! each backward reads kept in the operation's value.

use burn::tensor::TensorData;
use burn_flex::FlexTensor;

use super::kernel::{self, Frame, Matrix};

/// A Conv1d of `x` `[B, Ci, Li]` with `w` `[Co, Ci, K]`: the forward, and the backward from
/// the same operands.
#[derive(Debug, Clone)]
pub struct Conv {
    frame: Frame,
    out_channels: usize,
    x: FlexTensor,
    w: FlexTensor,
}

impl Conv {
    /// Takes operands whose shapes the wrapper checked: `x` `[B, Ci, Li]`, `w` `[Co, Ci, K]`,
    /// and a window that fits (`Li + pad_left + pad_right >= K`).
    pub fn new(x: FlexTensor, w: FlexTensor, stride: usize, pad: [usize; 2]) -> Self {
        let [batch, channels, long] = dims3(&x);
        let [out_channels, _, kernel] = dims3(&w);
        let short = (long + pad[0] + pad[1] - kernel) / stride + 1;
        let frame = Frame {
            batch,
            channels,
            kernel,
            long,
            short,
            stride,
            pad: pad[0],
        };
        Conv {
            frame,
            out_channels,
            x: contiguous(x),
            w: contiguous(w),
        }
    }

    /// `[B, Co, Lo]`: `w x im2col(x)` plus `bias` `[Co]`.
    pub fn forward(&self, bias: &FlexTensor) -> FlexTensor {
        let f = self.frame;
        let cols = self.columns();
        let mut y = vec![0.0f32; self.out_channels * f.columns()];
        kernel::matmul(
            [self.out_channels, f.columns(), f.rows()],
            &mut y,
            Matrix::rows(values(&self.w), f.rows()),
            Matrix::rows(&cols, f.columns()),
        );
        let shape = [f.batch, self.out_channels, f.short];
        let mut out = vec![0.0f32; y.len()];
        kernel::from_channel_major(&y, shape, Some(&to_vec(bias)), &mut out);
        tensor(out, shape)
    }

    /// Gradients of `x`, `w` and the bias from `d_out` `[B, Co, Lo]`.
    pub fn backward(&self, d_out: FlexTensor) -> [FlexTensor; 3] {
        let f = self.frame;
        let d_out = contiguous(d_out);
        let shape = [f.batch, self.out_channels, f.short];
        let d_bias = kernel::channel_sums(values(&d_out), shape);
        let mut dy = vec![0.0f32; values(&d_out).len()];
        kernel::to_channel_major(values(&d_out), shape, &mut dy);
        drop(d_out);

        let cols = self.columns();
        let mut d_w = vec![0.0f32; self.out_channels * f.rows()];
        kernel::matmul(
            [self.out_channels, f.rows(), f.columns()],
            &mut d_w,
            Matrix::rows(&dy, f.columns()),
            Matrix::transposed(&cols, f.columns()),
        );
        let mut d_cols = cols;
        kernel::matmul(
            [f.rows(), f.columns(), self.out_channels],
            &mut d_cols,
            Matrix::transposed(values(&self.w), f.rows()),
            Matrix::rows(&dy, f.columns()),
        );
        let mut d_x = vec![0.0f32; f.batch * f.channels * f.long];
        kernel::scatter(&d_cols, f, &mut d_x);
        [
            tensor(d_x, [f.batch, f.channels, f.long]),
            tensor(d_w, [self.out_channels, f.channels, f.kernel]),
            tensor(d_bias, [self.out_channels]),
        ]
    }

    fn columns(&self) -> Vec<f32> {
        let mut cols = vec![0.0f32; self.frame.rows() * self.frame.columns()];
        kernel::gather(values(&self.x), self.frame, &mut cols);
        cols
    }
}

/// A ConvTranspose1d of `x` `[B, Ci, Li]` with `w` `[Ci, Co, K]`: the forward, and the backward
/// from the same operands (`x` kept channel-major, as both products read it).
#[derive(Debug, Clone)]
pub struct ConvTranspose {
    /// Long side: the output `[B, Co, Lo]`; short side: the input's `Li` samples.
    frame: Frame,
    in_channels: usize,
    x: Vec<f32>,
    w: FlexTensor,
}

impl ConvTranspose {
    /// Takes operands whose shapes the wrapper checked: `x` `[B, Ci, Li]` with `Li >= 1`, `w`
    /// `[Ci, Co, K]`, and an output length `(Li - 1) * stride + K + pad_out - 2 * pad >= 1`.
    pub fn new(x: FlexTensor, w: FlexTensor, stride: usize, pad: usize, pad_out: usize) -> Self {
        let [batch, in_channels, short] = dims3(&x);
        let [_, channels, kernel] = dims3(&w);
        let long = (short - 1) * stride + kernel + pad_out - 2 * pad;
        let x = contiguous(x);
        let mut x_cm = vec![0.0f32; values(&x).len()];
        kernel::to_channel_major(values(&x), [batch, in_channels, short], &mut x_cm);
        ConvTranspose {
            frame: Frame {
                batch,
                channels,
                kernel,
                long,
                short,
                stride,
                pad,
            },
            in_channels,
            x: x_cm,
            w: contiguous(w),
        }
    }

    /// `[B, Co, Lo]`: the overlap-add of `w^T x x`, on top of `bias` `[Co]`.
    pub fn forward(&self, bias: &FlexTensor) -> FlexTensor {
        let f = self.frame;
        let mut cols = vec![0.0f32; f.rows() * f.columns()];
        kernel::matmul(
            [f.rows(), f.columns(), self.in_channels],
            &mut cols,
            Matrix::transposed(values(&self.w), f.rows()),
            Matrix::rows(&self.x, f.columns()),
        );
        let bias = to_vec(bias);
        let mut out = vec![0.0f32; f.batch * f.channels * f.long];
        for (i, row) in out.chunks_mut(f.long).enumerate() {
            row.fill(bias[i % f.channels]);
        }
        kernel::scatter(&cols, f, &mut out);
        tensor(out, [f.batch, f.channels, f.long])
    }

    /// Gradients of `x`, `w` and the bias from `d_out` `[B, Co, Lo]`.
    pub fn backward(&self, d_out: FlexTensor) -> [FlexTensor; 3] {
        let f = self.frame;
        let d_out = contiguous(d_out);
        let d_bias = kernel::channel_sums(values(&d_out), [f.batch, f.channels, f.long]);
        let mut d_cols = vec![0.0f32; f.rows() * f.columns()];
        kernel::gather(values(&d_out), f, &mut d_cols);
        drop(d_out);

        let mut d_x = vec![0.0f32; self.in_channels * f.columns()];
        kernel::matmul(
            [self.in_channels, f.columns(), f.rows()],
            &mut d_x,
            Matrix::rows(values(&self.w), f.rows()),
            Matrix::rows(&d_cols, f.columns()),
        );
        let mut d_w = vec![0.0f32; self.in_channels * f.rows()];
        kernel::matmul(
            [self.in_channels, f.rows(), f.columns()],
            &mut d_w,
            Matrix::rows(&self.x, f.columns()),
            Matrix::transposed(&d_cols, f.columns()),
        );
        let shape = [f.batch, self.in_channels, f.short];
        let mut d_x_out = vec![0.0f32; d_x.len()];
        kernel::from_channel_major(&d_x, shape, None, &mut d_x_out);
        [
            tensor(d_x_out, shape),
            tensor(d_w, [self.in_channels, f.channels, f.kernel]),
            tensor(d_bias, [f.channels]),
        ]
    }
}

fn dims3(t: &FlexTensor) -> [usize; 3] {
    let shape = t.layout().shape();
    [shape[0], shape[1], shape[2]]
}

fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.layout().contiguous_offsets().is_some() {
        t
    } else {
        t.to_contiguous()
    }
}

fn to_vec(t: &FlexTensor) -> Vec<f32> {
    values(&contiguous(t.clone())).to_vec()
}

/// A contiguous `f32` tensor's values.
fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .unwrap_or_else(|| unreachable!("operands are contiguous f32 (checked by the wrapper)"))
}

fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}
