//! The LSTM recurrence over a whole sequence as one backend operation.
//!
//! [`lstm_recurrence`] takes the input projections of every step at once and runs the
//! recurrence in one call: on Flex (and autodiff over Flex) with the kernels of this module,
//! one GEMM per step and one vectorised gate pass per row, rows split over two threads; its
//! backward is one backpropagation-through-time pass from the saved gates. Burn's plain tensor
//! ops would record about 25 small autodiff nodes per step instead. It is a Burn backend
//! extension (`#[backend_extension]`), so a model calls it on a `Tensor` and the device picks
//! the implementation; [`supports`] says when it applies ([`crate::model::FusedLstm`] falls
//! back to plain tensor ops on wgpu, ndarray and non-`f32` dtypes).

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, DispatchDevice, backend_extension};
use burn::tensor::{DType, Device, Tensor};

mod autodiff;
mod backward;
mod flex;
pub(crate) mod flush;
mod kernel;
mod math;

pub use kernel::Output;

/// Backends that run the whole LSTM recurrence as one operation.
///
/// # Panics
/// Both methods check their operands (ranks, shapes, `f32`) against the contract below before
/// any kernel runs, and panic naming the operand that breaks it (e.g. `LSTM recurrence: whh
/// is [1, 16], needs [4, 16]`): the kernels' unsafe matrix products rely on those shapes, and
/// a safe trait must not let a caller reach undefined behaviour. [`lstm_recurrence`] and
/// [`lstm_sequence`], the tensor-level wrappers, check first and return `None` instead.
#[backend_extension(Flex, Autodiff)]
pub trait LstmRecurrenceBackend: Backend {
    /// The recurrence over `seq` steps whose pre-activations (gates `i, f, g, o`) are
    /// `gx[b, t] + gs[t]`, with `gx` `[batch, seq or 1, 4H]` and `gs` `[seq or 1, 4H]` (a
    /// dimension of 1 is the same at every step), from recurrent weights `whh` `[H, 4H]` and
    /// the initial state `h0`, `c0` `[batch, H]`. Returns what `output` asks for:
    /// `[batch, seq + 1, H]` (the hidden states of steps `0..seq`, then the final cell state),
    /// `[batch, seq, H]` (the hidden states) or `[batch, 2, H]` (the final hidden and cell
    /// states).
    fn lstm_recurrence(
        gx: FloatTensor<Self>,
        gs: FloatTensor<Self>,
        whh: FloatTensor<Self>,
        h0: FloatTensor<Self>,
        c0: FloatTensor<Self>,
        seq: usize,
        output: Output,
    ) -> FloatTensor<Self>;

    /// The recurrence over the sequence `x` `[batch, seq, D]`, whose pre-activations are
    /// `x[b, t] W_ih + gs[t]` with `wih` `[D, 4H]` and `gs` `[seq or 1, 4H]` (e.g. the bias);
    /// the projection happens inside each step's matrix product, so no `[batch, seq, 4H]`
    /// tensor is built. Other arguments and the output as in
    /// [`lstm_recurrence`](Self::lstm_recurrence).
    fn lstm_sequence(
        x: FloatTensor<Self>,
        wih: FloatTensor<Self>,
        gs: FloatTensor<Self>,
        whh: FloatTensor<Self>,
        h0: FloatTensor<Self>,
        c0: FloatTensor<Self>,
        output: Output,
    ) -> FloatTensor<Self>;
}

impl LstmRecurrenceBackend for burn::backend::Flex {
    fn lstm_recurrence(
        gx: FloatTensor<Self>,
        gs: FloatTensor<Self>,
        whh: FloatTensor<Self>,
        h0: FloatTensor<Self>,
        c0: FloatTensor<Self>,
        seq: usize,
        output: Output,
    ) -> FloatTensor<Self> {
        flex::Operands::parts(gx, gs, whh, h0, c0, seq, output)
            .forward(false)
            .0
    }

    fn lstm_sequence(
        x: FloatTensor<Self>,
        wih: FloatTensor<Self>,
        gs: FloatTensor<Self>,
        whh: FloatTensor<Self>,
        h0: FloatTensor<Self>,
        c0: FloatTensor<Self>,
        output: Output,
    ) -> FloatTensor<Self> {
        flex::Operands::sequence(x, wih, gs, whh, h0, c0, output)
            .forward(false)
            .0
    }
}

/// Whether [`lstm_recurrence`] runs on `device` for tensors of `dtype`: Flex, with or without
/// autodiff, and `f32`.
pub fn supports(device: &Device, dtype: DType) -> bool {
    let inner = device.clone().inner();
    matches!(inner.as_dispatch(), DispatchDevice::Flex(_)) && dtype == DType::F32
}

/// The LSTM recurrence over `seq` steps as one operation (see the module docs).
///
/// The pre-activations of row `b` at step `t` are `gx[b, t] + gs[t]`: `gx` is
/// `[batch, seq, 4H]` or `[batch, 1, 4H]` (the same at every step), `gs` `[seq, 4H]` or
/// `[1, 4H]` (the same for every row; e.g. the bias). `whh` is `[H, 4H]`, `h0` and `c0`
/// `[batch, H]`. Returns what `output` asks for: `[batch, seq + 1, H]` (the hidden states of
/// every step, then the final cell state), `[batch, seq, H]` or `[batch, 2, H]` (see
/// [`Output`]). Returns `None` when the device or dtype is not supported ([`supports`]), `seq`
/// is 0 or the shapes do not agree, so the caller can fall back to plain tensor ops.
pub fn lstm_recurrence(
    gx: Tensor<3>,
    gs: Tensor<2>,
    whh: Tensor<2>,
    h0: Tensor<2>,
    c0: Tensor<2>,
    seq: usize,
    output: Output,
) -> Option<Tensor<3>> {
    let [batch, gx_steps, gates] = gx.dims();
    let steps_ok = gx_steps == seq || gx_steps == 1;
    let floats: [&dyn Operand; 4] = [&gx, &whh, &h0, &c0];
    if !steps_ok || !check(batch, gates, seq, &gs, &floats) {
        return None;
    }
    let out = <Dispatch as LstmRecurrenceBackend>::lstm_recurrence(
        gx.into_dispatch(),
        gs.into_dispatch(),
        whh.into_dispatch(),
        h0.into_dispatch(),
        c0.into_dispatch(),
        seq,
        output,
    );
    Some(Tensor::from_dispatch(out))
}

/// The LSTM recurrence over the sequence `x` `[batch, seq, D]` as one operation, with the
/// input projection `x W_ih` (`wih` `[D, 4H]`) done inside each step; pre-activations are
/// `x[b, t] W_ih + gs[t]`, `gs` `[seq or 1, 4H]` (e.g. the bias). Other arguments, the
/// output and `None` as in [`lstm_recurrence`].
pub fn lstm_sequence(
    x: Tensor<3>,
    wih: Tensor<2>,
    gs: Tensor<2>,
    whh: Tensor<2>,
    h0: Tensor<2>,
    c0: Tensor<2>,
    output: Output,
) -> Option<Tensor<3>> {
    let [batch, seq, d] = x.dims();
    let gates = whh.dims()[1];
    let floats: [&dyn Operand; 4] = [&x, &whh, &h0, &c0];
    if wih.dims() != [d, gates] || !check(batch, gates, seq, &gs, &floats) {
        return None;
    }
    if wih.dtype() != DType::F32 || wih.device().inner() != x.device().inner() {
        return None;
    }
    let out = <Dispatch as LstmRecurrenceBackend>::lstm_sequence(
        x.into_dispatch(),
        wih.into_dispatch(),
        gs.into_dispatch(),
        whh.into_dispatch(),
        h0.into_dispatch(),
        c0.into_dispatch(),
        output,
    );
    Some(Tensor::from_dispatch(out))
}

/// Whether the operands agree: `whh` `[H, 4H]`, `h0` and `c0` `[batch, H]`, `gs`
/// `[seq or 1, 4H]`, `seq > 0`, all `f32` on one supported device. `floats` is the routing
/// tensor (first) then `whh`, `h0`, `c0`.
fn check(
    batch: usize,
    gates: usize,
    seq: usize,
    gs: &Tensor<2>,
    floats: &[&dyn Operand; 4],
) -> bool {
    let hidden = gates / 4;
    let [gs_steps, gs_gates] = gs.dims();
    let shapes = gates.is_multiple_of(4)
        && seq > 0
        && (gs_steps == seq || gs_steps == 1)
        && gs_gates == gates
        && floats[1].shape() == [hidden, gates]
        && floats[2].shape() == [batch, hidden]
        && floats[3].shape() == [batch, hidden];
    let device = floats[0].device_inner();
    let all = floats.iter().map(|t| (t.dtype(), t.device_inner()));
    let all = all
        .chain([(gs.dtype(), gs.device().inner())])
        .collect::<Vec<_>>();
    let uniform = all
        .iter()
        .all(|(dtype, d)| *dtype == DType::F32 && *d == device);
    shapes && uniform && supports(&device, DType::F32)
}

/// A tensor of any rank as [`check`] sees it.
trait Operand {
    fn shape(&self) -> Vec<usize>;
    fn dtype(&self) -> DType;
    fn device_inner(&self) -> Device;
}

impl<const D: usize> Operand for Tensor<D> {
    fn shape(&self) -> Vec<usize> {
        self.dims().to_vec()
    }
    fn dtype(&self) -> DType {
        Tensor::dtype(self)
    }
    fn device_inner(&self) -> Device {
        self.device().inner()
    }
}
