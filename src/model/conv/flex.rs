//! The convolutions on Flex tensors: contiguous `f32` views in, new tensors out, the batch cut
//! into blocks of samples that run on rayon's threads (see [`block_size`]), with what each
//! backward reads kept in the operation's value.

use std::cell::RefCell;

use burn_flex::FlexTensor;

use super::kernel::{self, Frame};
use crate::model::flex_op::{contiguous, par_zeroed, runs_of, tensor, to_vec, values};
use crate::model::gemm::{Operand, matmul};
use crate::model::workspace::Buffer;

/// Values of a block's im2col matrix that stay in a core's cache (512 KiB of `f32`).
const CACHE_VALUES: usize = 1 << 17;

/// Groups of blocks whose weight and bias gradients are summed apart, then in group order. A
/// constant, not the thread count, so the sums (and a seeded training run) come out the same on
/// any machine; enough groups for eight threads.
const GROUPS: usize = 8;

/// Samples per block: the block's im2col matrix within [`CACHE_VALUES`], and at least
/// [`GROUPS`] blocks when the batch allows. One im2col matrix for the whole batch would outgrow
/// the cache (18 MB for a ConvVae layer at batch 256), and the overlap-add would then read it
/// back from memory.
fn block_size(f: &Frame) -> usize {
    let per_sample = (f.rows() * f.short).max(1);
    (CACHE_VALUES / per_sample)
        .min(f.batch.div_ceil(GROUPS))
        .max(1)
}

/// `len` values in blocks of `block_len` (the last maybe shorter) cut into at most [`GROUPS`]
/// runs of whole blocks: each run's first block and its length in values.
fn group_runs(len: usize, block_len: usize) -> Vec<(usize, usize)> {
    let blocks = len.div_ceil(block_len.max(1));
    let count = GROUPS.min(blocks);
    (0..count)
        .map(|g| {
            let (first, end) = (g * blocks / count, (g + 1) * blocks / count);
            (first, (end * block_len).min(len) - first * block_len)
        })
        .collect()
}

/// A new `d_x` of `len` values and the weight and bias gradients, summed over groups of its
/// blocks (of `block_len` values) in group order; `block(i, d_x_block, d_w, d_bias)` fills
/// block `i` of `d_x` (zeroed) and adds its terms to the sums. The groups' weight sums (up to
/// 8 x 0.9 MiB for the ConvVae) are pooled buffers, like `d_x` and `d_w`.
fn per_group(
    len: usize,
    block_len: usize,
    sizes: [usize; 2],
    block: impl Fn(usize, &mut [f32], &mut [f32], &mut [f32]) + Sync,
) -> (Buffer, Buffer, Vec<f32>) {
    let zeros = || (Buffer::zeroed(sizes[0]), vec![0.0f32; sizes[1]]);
    let (firsts, runs): (Vec<usize>, Vec<usize>) = group_runs(len, block_len).into_iter().unzip();
    let (d_x, partials) = par_zeroed(&runs, |g, run| {
        let (mut d_w, mut d_bias) = zeros();
        for (j, d_x) in run.chunks_mut(block_len.max(1)).enumerate() {
            block(firsts[g] + j, d_x, &mut d_w, &mut d_bias);
        }
        (d_w, d_bias)
    });
    let d_bias = partials
        .iter()
        .fold(vec![0.0f32; sizes[1]], |mut sum, (_, part)| {
            add_to(&mut sum, part);
            sum
        });
    // The weight sums (up to 8 x 229k values) split over the threads, each value summed over
    // the groups in group order as a serial fold would.
    let (d_w, _) = par_zeroed(&runs_of(sizes[0], SUM_RUN), |i, sum| {
        for (part, _) in &partials {
            add_to(sum, &part[i * SUM_RUN..][..sum.len()]);
        }
    });
    (d_x, d_w, d_bias)
}

/// Values of the weight-gradient sum one task adds up.
const SUM_RUN: usize = 1 << 14;

/// `sum += part`, value by value.
fn add_to(sum: &mut [f32], part: &[f32]) {
    sum.iter_mut().zip(part).for_each(|(s, p)| *s += p);
}

/// One thread's scratch, kept from block to block and from call to call, so a training step
/// writes into pages the last one faulted in: at most one block's im2col matrix and two
/// channel-major copies per thread (about 1-2 MiB for the ConvVae).
#[derive(Default)]
struct Buffers {
    cols: Vec<f32>,
    a: Vec<f32>,
    b: Vec<f32>,
    phases: Vec<f32>,
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::default();
}

/// Runs `f` with this thread's [`Buffers`] (fresh ones if they are in use).
fn with_buffers<R>(f: impl FnOnce(&mut Buffers) -> R) -> R {
    BUFFERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffers) => f(&mut buffers),
        Err(_) => f(&mut Buffers::default()),
    })
}

/// `buffer` as `len` values (contents unspecified: every user overwrites them).
fn sized(buffer: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buffer.len() > len {
        buffer.truncate(len);
    } else {
        buffer.resize(len, 0.0);
    }
    buffer
}

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
    /// every size at least 1, and a window that fits (`Li + pad_left + pad_right >= K`).
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

    /// `[B, Co, Lo]`: `w x im2col(x)` plus `bias` `[Co]`, block by block.
    pub fn forward(&self, bias: &FlexTensor) -> FlexTensor {
        let (f, co) = (self.frame, self.out_channels);
        let (x, w, bias) = (values(&self.x), values(&self.w), to_vec(bias));
        let block = block_size(&f);
        let runs = runs_of(f.batch * co * f.short, block * co * f.short);
        let (out, _) = par_zeroed(&runs, |i, out| {
            with_buffers(|buf| {
                let fb = Frame {
                    batch: out.len() / (co * f.short),
                    ..f
                };
                let x = &x[i * block * f.channels * f.long..][..fb.batch * f.channels * f.long];
                let phases = sized(&mut buf.phases, f.stride * f.phase_len());
                let cols = sized(&mut buf.cols, fb.rows() * fb.columns());
                kernel::gather(x, fb, cols, phases);
                let y = sized(&mut buf.a, co * fb.columns());
                let sizes = [co, fb.columns(), fb.rows()];
                let lhs = Operand::rows(w, f.rows());
                product(sizes, y, false, lhs, Operand::rows(cols, fb.columns()));
                kernel::from_channel_major(y, [fb.batch, co, f.short], Some(&bias), out);
            })
        });
        tensor(out, [f.batch, co, f.short])
    }

    /// Gradients of `x`, `w` and the bias from `d_out` `[B, Co, Lo]`; zeros for `x` unless
    /// `input` (a first layer's data needs none: its GEMM and overlap-add are skipped).
    pub fn backward(&self, d_out: FlexTensor, input: bool) -> [FlexTensor; 3] {
        let (f, co) = (self.frame, self.out_channels);
        let d_out = contiguous(d_out);
        let (dy, x, w) = (values(&d_out), values(&self.x), values(&self.w));
        let block = block_size(&f);
        let sizes = [co * f.rows(), co];
        let (d_x, d_w, d_bias) = per_group(
            f.batch * f.channels * f.long,
            block * f.channels * f.long,
            sizes,
            |i, d_x, d_w, d_bias| {
                with_buffers(|buf| {
                    let fb = Frame {
                        batch: d_x.len() / (f.channels * f.long),
                        ..f
                    };
                    let dy = &dy[i * block * co * f.short..][..fb.batch * co * f.short];
                    let x = &x[i * block * f.channels * f.long..][..d_x.len()];
                    kernel::add_channel_sums(dy, [fb.batch, co, f.short], d_bias);
                    let dy_cm = sized(&mut buf.a, co * fb.columns());
                    kernel::to_channel_major(dy, [fb.batch, co, f.short], dy_cm);
                    let phases = sized(&mut buf.phases, f.stride * f.phase_len());
                    let cols = sized(&mut buf.cols, fb.rows() * fb.columns());
                    kernel::gather(x, fb, cols, phases);
                    product(
                        [co, f.rows(), fb.columns()],
                        d_w,
                        true,
                        Operand::rows(dy_cm, fb.columns()),
                        Operand::transposed(cols, fb.columns()),
                    );
                    if !input {
                        return;
                    }
                    // The block's im2col matrix is spent: its buffer takes d cols.
                    product(
                        [f.rows(), fb.columns(), co],
                        cols,
                        false,
                        Operand::transposed(w, f.rows()),
                        Operand::rows(dy_cm, fb.columns()),
                    );
                    kernel::scatter(cols, fb, d_x, phases);
                })
            },
        );
        [
            tensor(d_x, [f.batch, f.channels, f.long]),
            tensor(d_w, [co, f.channels, f.kernel]),
            tensor(d_bias, [co]),
        ]
    }
}

/// A ConvTranspose1d of `x` `[B, Ci, Li]` with `w` `[Ci, Co, K]`: the forward, and the backward
/// from the same operands.
#[derive(Debug, Clone)]
pub struct ConvTranspose {
    /// Long side: the output `[B, Co, Lo]`; short side: the input's `Li` samples.
    frame: Frame,
    in_channels: usize,
    x: FlexTensor,
    w: FlexTensor,
}

impl ConvTranspose {
    /// Takes operands whose shapes the wrapper checked: `x` `[B, Ci, Li]`, `w` `[Ci, Co, K]`,
    /// every size at least 1, and an output length `(Li - 1) * stride + K + pad_out - 2 * pad`
    /// of at least 1.
    pub fn new(x: FlexTensor, w: FlexTensor, stride: usize, pad: usize, pad_out: usize) -> Self {
        let [batch, in_channels, short] = dims3(&x);
        let [_, channels, kernel] = dims3(&w);
        let long = (short - 1) * stride + kernel + pad_out - 2 * pad;
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
            x: contiguous(x),
            w: contiguous(w),
        }
    }

    /// `[B, Co, Lo]`: the overlap-add of `w^T x x` on top of `bias` `[Co]`, block by block.
    pub fn forward(&self, bias: &FlexTensor) -> FlexTensor {
        let (f, ci) = (self.frame, self.in_channels);
        let (x, w, bias) = (values(&self.x), values(&self.w), to_vec(bias));
        let block = block_size(&f);
        let runs = runs_of(f.batch * f.channels * f.long, block * f.channels * f.long);
        let (out, _) = par_zeroed(&runs, |i, out| {
            with_buffers(|buf| {
                let fb = Frame {
                    batch: out.len() / (f.channels * f.long),
                    ..f
                };
                let x = &x[i * block * ci * f.short..][..fb.batch * ci * f.short];
                let x_cm = sized(&mut buf.a, ci * fb.columns());
                kernel::to_channel_major(x, [fb.batch, ci, f.short], x_cm);
                let cols = sized(&mut buf.cols, fb.rows() * fb.columns());
                product(
                    [fb.rows(), fb.columns(), ci],
                    cols,
                    false,
                    Operand::transposed(w, f.rows()),
                    Operand::rows(x_cm, fb.columns()),
                );
                for (j, row) in out.chunks_exact_mut(f.long).enumerate() {
                    row.fill(bias[j % f.channels]);
                }
                let phases = sized(&mut buf.phases, f.stride * f.phase_len());
                kernel::scatter(cols, fb, out, phases);
            })
        });
        tensor(out, [f.batch, f.channels, f.long])
    }

    /// Gradients of `x`, `w` and the bias from `d_out` `[B, Co, Lo]`; zeros for `x` unless
    /// `input` (its GEMM is then skipped).
    pub fn backward(&self, d_out: FlexTensor, input: bool) -> [FlexTensor; 3] {
        let (f, ci) = (self.frame, self.in_channels);
        let d_out = contiguous(d_out);
        let (dy, x, w) = (values(&d_out), values(&self.x), values(&self.w));
        let block = block_size(&f);
        let sizes = [ci * f.rows(), f.channels];
        let (d_x, d_w, d_bias) = per_group(
            f.batch * ci * f.short,
            block * ci * f.short,
            sizes,
            |i, d_x, d_w, d_bias| {
                with_buffers(|buf| {
                    let fb = Frame {
                        batch: d_x.len() / (ci * f.short),
                        ..f
                    };
                    let dy =
                        &dy[i * block * f.channels * f.long..][..fb.batch * f.channels * f.long];
                    let x = &x[i * block * ci * f.short..][..d_x.len()];
                    kernel::add_channel_sums(dy, [fb.batch, f.channels, f.long], d_bias);
                    let phases = sized(&mut buf.phases, f.stride * f.phase_len());
                    let d_cols = sized(&mut buf.cols, fb.rows() * fb.columns());
                    kernel::gather(dy, fb, d_cols, phases);
                    let x_cm = sized(&mut buf.a, ci * fb.columns());
                    kernel::to_channel_major(x, [fb.batch, ci, f.short], x_cm);
                    product(
                        [ci, f.rows(), fb.columns()],
                        d_w,
                        true,
                        Operand::rows(x_cm, fb.columns()),
                        Operand::transposed(d_cols, fb.columns()),
                    );
                    if !input {
                        return;
                    }
                    let d_x_cm = sized(&mut buf.b, ci * fb.columns());
                    product(
                        [ci, fb.columns(), f.rows()],
                        d_x_cm,
                        false,
                        Operand::rows(w, f.rows()),
                        Operand::rows(d_cols, fb.columns()),
                    );
                    kernel::from_channel_major(d_x_cm, [fb.batch, ci, f.short], None, d_x);
                })
            },
        );
        [
            tensor(d_x, [f.batch, ci, f.short]),
            tensor(d_w, [ci, f.channels, f.kernel]),
            tensor(d_bias, [f.channels]),
        ]
    }
}

/// `dst = lhs x rhs` (or `+=` when `accumulate`) for sizes `[m, n, k]`, `dst` `m x n`.
fn product(
    dims: [usize; 3],
    dst: &mut [f32],
    accumulate: bool,
    lhs: Operand<'_>,
    rhs: Operand<'_>,
) {
    matmul(dims, dst, dims[1], accumulate, lhs, rhs);
}

fn dims3(t: &FlexTensor) -> [usize; 3] {
    let shape = t.layout().shape();
    [shape[0], shape[1], shape[2]]
}
