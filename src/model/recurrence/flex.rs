//! The recurrence on Flex tensors: contiguous `f32` views in, new tensors out.

use std::sync::Arc;

use burn_flex::FlexTensor;

use super::backward::{self, Forward, Grads};
use super::kernel::{self, Dims, Inputs, Output, Saved};
use crate::model::flex_op::{contiguous, tensor, values};
use crate::model::workspace::Buffer;

/// What the backward pass reads, besides the weights and initial state. The gates and cells
/// are pooled buffers ([`Buffer`]): the next step's forward reuses their pages.
#[derive(Debug, Clone)]
pub struct SavedTensors {
    /// The forward output (`[B, T + 1, H]`, `[B, T, H]` or `[B, 2, H]`, as [`Output`] says).
    pub out: FlexTensor,
    /// Gate activations `[B, T, 4H]`.
    pub gates: Arc<Buffer>,
    /// Cell states `[B, T, H]`.
    pub cells: Arc<Buffer>,
    /// Hidden states `[B, T, H]` when `out` holds only the final state, else empty.
    pub hidden: Arc<Buffer>,
}

/// Gradients of every operand; each operation form registers those of its own inputs.
pub struct OperandGrads {
    /// Of `gx`, in its shape (`[B, T or 1, 4H]`).
    pub gx: FlexTensor,
    /// Of `gs`, in its shape (`[T or 1, 4H]`).
    pub gs: FlexTensor,
    /// Of `x` `[B, T, D]`.
    pub x: FlexTensor,
    /// Of `W_ih` `[D, 4H]`.
    pub wih: FlexTensor,
    /// Of `W_hh` `[H, 4H]`.
    pub whh: FlexTensor,
    /// Of `h0` `[B, H]`.
    pub h0: FlexTensor,
    /// Of `c0` `[B, H]`.
    pub c0: FlexTensor,
}

/// The operands of one recurrence, contiguous, with the sizes they agree on. Pre-activations
/// are `gx[b, t] + gs[t] + x[b, t] W_ih + h_{t-1} W_hh` (see [`kernel`]'s docs).
#[derive(Debug, Clone)]
pub struct Operands {
    dims: Dims,
    /// Steps held by `gx` (0: no `gx`) and by `gs`.
    gx_steps: usize,
    gs_steps: usize,
    gx: FlexTensor,
    gs: FlexTensor,
    /// `[B, T, D]`, with `D` = `d` (0: no sequence input).
    x: FlexTensor,
    d: usize,
    /// `W_ih` `[D, 4H]` over `W_hh` `[H, 4H]`.
    w: Vec<f32>,
    h0: FlexTensor,
    c0: FlexTensor,
}

fn empty() -> FlexTensor {
    tensor(Vec::new(), [0])
}

impl Operands {
    /// A recurrence over `seq` steps from projected parts `gx` `[B, T or 1, 4H]` and `gs`
    /// `[T or 1, 4H]`. The tensor-level wrapper has checked shapes and dtype (`f32`).
    ///
    /// # Panics
    /// When the operands break [`LstmRecurrenceBackend::lstm_recurrence`]'s contract (ranks,
    /// shapes, `f32`), before any kernel runs: the kernels' unsafe matrix products rely on it.
    ///
    /// [`LstmRecurrenceBackend::lstm_recurrence`]: super::LstmRecurrenceBackend::lstm_recurrence
    pub fn parts(
        gx: FlexTensor,
        gs: FlexTensor,
        whh: FlexTensor,
        h0: FlexTensor,
        c0: FlexTensor,
        seq: usize,
        output: Output,
    ) -> Self {
        let shape = check_f32("gx", &gx, 3);
        let gates = shape[2];
        contract(gates.is_multiple_of(4), || {
            format!("gx's last dimension {gates} is not 4H")
        });
        let hidden = gates / 4;
        let dims = Dims {
            batch: shape[0],
            seq,
            hidden,
            output,
        };
        contract(shape[1] == seq || shape[1] == 1, || {
            format!("gx {shape:?} holds neither {seq} steps nor 1")
        });
        check_common(dims, &gs, &whh, &h0, &c0);
        Operands {
            dims,
            gx_steps: shape[1],
            gs_steps: gs.layout().shape()[0],
            gx: contiguous(gx),
            gs: contiguous(gs),
            x: empty(),
            d: 0,
            w: values(&contiguous(whh)).to_vec(),
            h0: contiguous(h0),
            c0: contiguous(c0),
        }
    }

    /// A recurrence over the sequence `x` `[B, T, D]`, projected by `wih` `[D, 4H]` inside the
    /// step, plus `gs` `[T or 1, 4H]` (e.g. the bias).
    ///
    /// # Panics
    /// As [`parts`](Self::parts), for [`LstmRecurrenceBackend::lstm_sequence`]'s contract.
    ///
    /// [`LstmRecurrenceBackend::lstm_sequence`]: super::LstmRecurrenceBackend::lstm_sequence
    pub fn sequence(
        x: FlexTensor,
        wih: FlexTensor,
        gs: FlexTensor,
        whh: FlexTensor,
        h0: FlexTensor,
        c0: FlexTensor,
        output: Output,
    ) -> Self {
        let shape = check_f32("x", &x, 3);
        let whh_shape = check_f32("whh", &whh, 2);
        let hidden = whh_shape[0];
        let dims = Dims {
            batch: shape[0],
            seq: shape[1],
            hidden,
            output,
        };
        let wih_shape = check_f32("wih", &wih, 2);
        contract(wih_shape == [shape[2], dims.gates()], || {
            format!("wih is {wih_shape:?}, x {shape:?} and whh {whh_shape:?} need [D, 4H]")
        });
        check_common(dims, &gs, &whh, &h0, &c0);
        let mut w = values(&contiguous(wih)).to_vec();
        w.extend_from_slice(values(&contiguous(whh)));
        Operands {
            dims,
            gx_steps: 0,
            gs_steps: gs.layout().shape()[0],
            gx: empty(),
            gs: contiguous(gs),
            x: contiguous(x),
            d: shape[2],
            w,
            h0: contiguous(h0),
            c0: contiguous(c0),
        }
    }

    /// The same operands without `gx` and `gs`, which backward does not read: the state kept
    /// for backward then holds no copy of the input projections.
    pub fn for_backward(mut self) -> Self {
        self.gx = empty();
        self.gs = empty();
        self
    }

    fn inputs(&self) -> Inputs<'_> {
        Inputs {
            gx: values(&self.gx),
            gx_steps: self.gx_steps,
            x: values(&self.x),
            d: self.d,
            gs: values(&self.gs),
            gs_steps: self.gs_steps,
            w: &self.w,
            h0: values(&self.h0),
            c0: values(&self.c0),
        }
    }

    /// Runs the recurrence; returns the output (`[B, T + 1, H]`, `[B, T, H]` or `[B, 2, H]` as
    /// [`Output`] says), and what backward needs when `save` is set.
    pub fn forward(&self, save: bool) -> (FlexTensor, Option<SavedTensors>) {
        let Dims {
            batch,
            seq,
            hidden,
            output,
        } = self.dims;
        let shape = [batch, output.steps(seq), hidden];
        let mut out = Buffer::zeroed(batch * self.dims.out_row());
        if !save {
            kernel::forward(self.dims, self.inputs(), &mut out, None);
            return (tensor(out, shape), None);
        }
        let mut gates = Buffer::take(batch * seq * 4 * hidden);
        let mut cells = Buffer::take(batch * seq * hidden);
        let with_hidden = output == Output::Final;
        let mut states = Buffer::take(if with_hidden { batch * seq * hidden } else { 0 });
        let saved = Saved {
            gates: &mut gates,
            cells: &mut cells,
            hidden: &mut states,
        };
        kernel::forward(self.dims, self.inputs(), &mut out, Some(saved));
        let out = tensor(out, shape);
        let saved = SavedTensors {
            out: out.clone(),
            gates: Arc::new(gates),
            cells: Arc::new(cells),
            hidden: Arc::new(states),
        };
        (out, Some(saved))
    }

    /// Gradients of every operand from `d_out`, the gradient of the output.
    pub fn backward(&self, saved: &SavedTensors, d_out: FlexTensor) -> OperandGrads {
        let Dims {
            batch, seq, hidden, ..
        } = self.dims;
        let (g4, d) = (4 * hidden, self.d);
        let d_out = contiguous(d_out);
        // The pre-activations' gradient, written whole by `backward`: a tensor of its own when
        // `gx` holds every step, else reduced to `gs`'s and `gx`'s shapes (and back to the pool).
        let mut gates = Buffer::take(batch * seq * g4);
        let mut x = vec![0.0f32; batch * seq * d];
        let mut w = vec![0.0f32; (d + hidden) * g4];
        let (mut h0, mut c0) = (vec![0.0f32; batch * hidden], vec![0.0f32; batch * hidden]);
        let (hidden_states, hidden_row) = if saved.hidden.is_empty() {
            (values(&saved.out), self.dims.out_row())
        } else {
            (&saved.hidden[..], seq * hidden)
        };
        let forward = Forward {
            hidden: hidden_states,
            hidden_row,
            gates: &saved.gates,
            cells: &saved.cells,
        };
        let grads = Grads {
            gates: &mut gates,
            x: &mut x,
            w: &mut w,
            h0: &mut h0,
            c0: &mut c0,
        };
        backward::backward(self.dims, self.inputs(), forward, values(&d_out), grads);
        let gs = kernel::reduce(&gates, self.dims, false, self.gs_steps == seq);
        let gs = tensor(gs, [self.gs_steps, g4]);
        let gx = match self.gx_steps {
            0 => empty(),
            steps if steps == seq => tensor(gates, [batch, seq, g4]),
            _ => tensor(
                kernel::reduce(&gates, self.dims, true, false),
                [batch, 1, g4],
            ),
        };
        let whh = w.split_off(d * g4);
        OperandGrads {
            gx,
            gs,
            x: tensor(x, [batch, seq, d]),
            wih: tensor(w, [d, g4]),
            whh: tensor(whh, [hidden, g4]),
            h0: tensor(h0, [batch, hidden]),
            c0: tensor(c0, [batch, hidden]),
        }
    }
}

/// Panics with the operation's contract when `holds` is false. The trait is safe and public,
/// so a caller can hand it any tensors: this is where shapes the kernels' unsafe matrix
/// products rely on are enforced.
#[track_caller]
fn contract(holds: bool, message: impl FnOnce() -> String) {
    assert!(holds, "LSTM recurrence: {}", message());
}

/// The shape of `t`, checked to have `rank` dimensions and `f32` values.
#[track_caller]
fn check_f32(name: &str, t: &FlexTensor, rank: usize) -> Vec<usize> {
    let shape = t.layout().shape().to_vec();
    contract(shape.len() == rank, || {
        format!("{name} must have {rank} dimensions, has shape {shape:?}")
    });
    contract(t.dtype() == burn::tensor::DType::F32, || {
        format!("{name} must hold f32 values, holds {:?}", t.dtype())
    });
    shape
}

/// `gs` `[T or 1, 4H]`, `whh` `[H, 4H]`, `h0` and `c0` `[B, H]`, all `f32`, and sizes whose
/// products (the output, the saved gates) fit in memory.
#[track_caller]
fn check_common(dims: Dims, gs: &FlexTensor, whh: &FlexTensor, h0: &FlexTensor, c0: &FlexTensor) {
    let Dims {
        batch, seq, hidden, ..
    } = dims;
    let gates = dims.gates();
    let gs_shape = check_f32("gs", gs, 2);
    contract(
        (gs_shape[0] == seq || gs_shape[0] == 1) && gs_shape[1] == gates,
        || format!("gs is {gs_shape:?}, needs [{seq} or 1, {gates}]"),
    );
    let whh_shape = check_f32("whh", whh, 2);
    contract(whh_shape == [hidden, gates], || {
        format!("whh is {whh_shape:?}, needs [{hidden}, {gates}]")
    });
    for (name, t) in [("h0", h0), ("c0", c0)] {
        let shape = check_f32(name, t, 2);
        contract(shape == [batch, hidden], || {
            format!("{name} is {shape:?}, needs [{batch}, {hidden}]")
        });
    }
    let size = [batch, seq + 1, gates]
        .iter()
        .try_fold(1usize, |a, &b| a.checked_mul(b));
    contract(seq < usize::MAX && size.is_some(), || {
        format!("{batch} rows of {seq} steps of {gates} gates overflow memory")
    });
}
