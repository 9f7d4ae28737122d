//! The recurrence on Flex tensors: contiguous `f32` views in, new tensors out.

use burn::tensor::TensorData;
use burn_flex::FlexTensor;

use super::kernel::{self, Dims, Forward, Grads, Inputs, Saved};

/// The tensors the backward pass reads, besides the weights and initial state.
#[derive(Debug, Clone)]
pub struct SavedTensors {
    /// The forward output `[B, T + 1, H]`.
    pub out: FlexTensor,
    /// Gate activations `[B, T, 4H]`.
    pub gates: FlexTensor,
    /// Cell states `[B, T, H]`.
    pub cells: FlexTensor,
}

/// `gx`, `gs`, `whh`, `h0`, `c0` made contiguous, with the sizes they agree on.
#[derive(Debug, Clone)]
pub struct Operands {
    dims: Dims,
    gx_steps: usize,
    gs_steps: usize,
    gx: FlexTensor,
    gs: FlexTensor,
    whh: FlexTensor,
    h0: FlexTensor,
    c0: FlexTensor,
}

impl Operands {
    /// Takes the operands of a recurrence over `seq` steps. The tensor-level wrapper has
    /// checked their shapes and dtype (`f32`).
    pub fn new(
        gx: FlexTensor,
        gs: FlexTensor,
        whh: FlexTensor,
        h0: FlexTensor,
        c0: FlexTensor,
        seq: usize,
    ) -> Self {
        let shape = gx.layout().shape().clone();
        let dims = Dims {
            batch: shape[0],
            seq,
            hidden: shape[2] / 4,
        };
        let (gx_steps, gs_steps) = (shape[1], gs.layout().shape()[0]);
        let contiguous = |t: FlexTensor| {
            if t.layout().contiguous_offsets().is_some() {
                t
            } else {
                t.to_contiguous()
            }
        };
        Operands {
            dims,
            gx_steps,
            gs_steps,
            gx: contiguous(gx),
            gs: contiguous(gs),
            whh: contiguous(whh),
            h0: contiguous(h0),
            c0: contiguous(c0),
        }
    }

    /// The same operands without `gx` and `gs`, which backward does not read: the state kept
    /// for backward then holds no copy of the input projections.
    pub fn for_backward(mut self) -> Self {
        self.gx = tensor(Vec::new(), [0]);
        self.gs = tensor(Vec::new(), [0]);
        self
    }

    fn inputs(&self) -> Inputs<'_> {
        Inputs {
            gx: values(&self.gx),
            gx_steps: self.gx_steps,
            gs: values(&self.gs),
            gs_steps: self.gs_steps,
            whh: values(&self.whh),
            h0: values(&self.h0),
            c0: values(&self.c0),
        }
    }

    /// Runs the recurrence; returns the output `[B, T + 1, H]`, and what backward needs when
    /// `save` is set.
    pub fn forward(&self, save: bool) -> (FlexTensor, Option<SavedTensors>) {
        let Dims { batch, seq, hidden } = self.dims;
        let mut out = vec![0.0f32; batch * (seq + 1) * hidden];
        if !save {
            kernel::forward(self.dims, self.inputs(), &mut out, None);
            return (tensor(out, [batch, seq + 1, hidden]), None);
        }
        let mut gates = vec![0.0f32; batch * seq * 4 * hidden];
        let mut cells = vec![0.0f32; batch * seq * hidden];
        let saved = Saved {
            gates: &mut gates,
            cells: &mut cells,
        };
        kernel::forward(self.dims, self.inputs(), &mut out, Some(saved));
        let out = tensor(out, [batch, seq + 1, hidden]);
        let saved = SavedTensors {
            out: out.clone(),
            gates: tensor(gates, [batch, seq, 4 * hidden]),
            cells: tensor(cells, [batch, seq, hidden]),
        };
        (out, Some(saved))
    }

    /// Gradients of `gx`, `gs`, `whh`, `h0` and `c0` from `d_out`, the gradient of the output.
    pub fn backward(&self, saved: &SavedTensors, d_out: FlexTensor) -> [FlexTensor; 5] {
        let Dims { batch, seq, hidden } = self.dims;
        let d_out = if d_out.layout().contiguous_offsets().is_some() {
            d_out
        } else {
            d_out.to_contiguous()
        };
        let (mut gates, mut whh) = (
            vec![0.0f32; batch * seq * 4 * hidden],
            vec![0.0f32; hidden * 4 * hidden],
        );
        let (mut h0, mut c0) = (vec![0.0f32; batch * hidden], vec![0.0f32; batch * hidden]);
        let forward = Forward {
            out: values(&saved.out),
            gates: values(&saved.gates),
            cells: values(&saved.cells),
        };
        let grads = Grads {
            gates: &mut gates,
            whh: &mut whh,
            h0: &mut h0,
            c0: &mut c0,
        };
        kernel::backward(self.dims, self.inputs(), forward, values(&d_out), grads);
        let g4 = 4 * hidden;
        let gs = kernel::reduce(&gates, self.dims, false, self.gs_steps == seq);
        let gs = tensor(gs, [self.gs_steps, g4]);
        let gx = if self.gx_steps == seq {
            tensor(gates, [batch, seq, g4])
        } else {
            tensor(
                kernel::reduce(&gates, self.dims, true, false),
                [batch, 1, g4],
            )
        };
        [
            gx,
            gs,
            tensor(whh, [hidden, 4 * hidden]),
            tensor(h0, [batch, hidden]),
            tensor(c0, [batch, hidden]),
        ]
    }
}

/// A contiguous `f32` tensor's values.
fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .unwrap_or_else(|| unreachable!("operands are contiguous f32 (checked by the wrapper)"))
}

fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}
