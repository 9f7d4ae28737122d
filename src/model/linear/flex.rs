//! The Linear layer on Flex tensors: the products as Flex runs them, into pooled buffers.

use burn_flex::FlexTensor;

use crate::model::flex_op::{contiguous, tensor, values};
use crate::model::gemm::{Operand, matmul_as_flex};
use crate::model::workspace::Buffer;

/// `x` `[rows, d_input]` times `w` `[d_input, d_output]`: the forward, and the backward from
/// the same operands.
#[derive(Debug, Clone)]
pub struct Dense {
    /// `[rows, d_input, d_output]`.
    sizes: [usize; 3],
    x: FlexTensor,
    w: FlexTensor,
}

impl Dense {
    /// Takes operands whose shapes the wrapper checked (`x` `[rows, d_input]`, `w`
    /// `[d_input, d_output]`, no size 0).
    pub fn new(x: FlexTensor, w: FlexTensor) -> Self {
        let [rows, d_input] = dims2(&x);
        let [_, d_output] = dims2(&w);
        Dense {
            sizes: [rows, d_input, d_output],
            x: contiguous(x),
            w: contiguous(w),
        }
    }

    /// `[rows, d_output]`: `x @ w`, then `bias` `[d_output]` added to every row (Flex's
    /// `matmul`, then its broadcast add).
    pub fn forward(&self, bias: &FlexTensor) -> FlexTensor {
        let [rows, d_input, d_output] = self.sizes;
        let bias = contiguous(bias.clone());
        let mut out = Buffer::take(rows * d_output);
        matmul_as_flex(
            [rows, d_output, d_input],
            &mut out,
            Operand::rows(values(&self.x), d_input),
            Operand::rows(values(&self.w), d_output),
        );
        let bias = values(&bias);
        for row in out.chunks_exact_mut(d_output) {
            row.iter_mut().zip(bias).for_each(|(o, b)| *o += b);
        }
        tensor(out, [rows, d_output])
    }

    /// Gradients of `x`, `w` and the bias from the output's, `d_out` `[rows, d_output]`: the
    /// input's (zeros unless `input`) on one thread while the others are computed on another.
    /// Each as Burn's `linear` backward computes it on Flex: `d_out @ w^T`, `x^T @ d_out` and
    /// the rows of `d_out` summed in order.
    pub fn backward(&self, d_out: FlexTensor, input: bool) -> [FlexTensor; 3] {
        let [rows, d_input, d_output] = self.sizes;
        let d_out = contiguous(d_out);
        let (dy, x, w) = (values(&d_out), values(&self.x), values(&self.w));
        let d_x = || {
            if !input {
                return Buffer::zeroed(rows * d_input);
            }
            let mut d_x = Buffer::take(rows * d_input);
            matmul_as_flex(
                [rows, d_input, d_output],
                &mut d_x,
                Operand::rows(dy, d_output),
                Operand::transposed(w, d_output),
            );
            d_x
        };
        let d_w_bias = || {
            let mut d_w = Buffer::take(d_input * d_output);
            matmul_as_flex(
                [d_input, d_output, rows],
                &mut d_w,
                Operand::transposed(x, d_input),
                Operand::rows(dy, d_output),
            );
            let mut d_bias = vec![0.0f32; d_output];
            for row in dy.chunks_exact(d_output) {
                d_bias.iter_mut().zip(row).for_each(|(s, v)| *s += v);
            }
            (d_w, d_bias)
        };
        let (d_x, (d_w, d_bias)) = rayon::join(d_x, d_w_bias);
        [
            tensor(d_x, [rows, d_input]),
            tensor(d_w, [d_input, d_output]),
            tensor(d_bias, [d_output]),
        ]
    }
}

/// The two sizes of a rank-2 tensor.
fn dims2(t: &FlexTensor) -> [usize; 2] {
    let shape = t.layout().shape();
    [shape[0], shape[1]]
}
