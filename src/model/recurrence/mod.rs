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
use burn::backend::{Backend, DispatchDevice, backend_extension};
use burn::tensor::{DType, Device, Tensor};

mod autodiff;
mod flex;
mod kernel;
pub(crate) mod math;

/// Backends that run the whole LSTM recurrence as one operation.
#[backend_extension(Flex, Autodiff)]
pub trait LstmRecurrenceBackend: Backend {
    /// The recurrence over `seq` steps whose pre-activations (gates `i, f, g, o`) are
    /// `gx[b, t] + gs[t]`, with `gx` `[batch, seq or 1, 4H]` and `gs` `[seq or 1, 4H]` (a
    /// dimension of 1 is the same at every step), from recurrent weights `whh` `[H, 4H]` and
    /// the initial state `h0`, `c0` `[batch, H]`. Returns `[batch, seq + 1, H]`: the hidden
    /// states of steps `0..seq`, then the final cell state.
    fn lstm_recurrence(
        gx: FloatTensor<Self>,
        gs: FloatTensor<Self>,
        whh: FloatTensor<Self>,
        h0: FloatTensor<Self>,
        c0: FloatTensor<Self>,
        seq: usize,
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
    ) -> FloatTensor<Self> {
        flex::Operands::new(gx, gs, whh, h0, c0, seq)
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
/// `[batch, H]`. Returns `[batch, seq + 1, H]`: the hidden states of every step, then the final
/// cell state. Returns `None` when the device or dtype is not supported ([`supports`]), `seq`
/// is 0 or the shapes do not agree, so the caller can fall back to plain tensor ops.
pub fn lstm_recurrence(
    gx: Tensor<3>,
    gs: Tensor<2>,
    whh: Tensor<2>,
    h0: Tensor<2>,
    c0: Tensor<2>,
    seq: usize,
) -> Option<Tensor<3>> {
    let [batch, gx_steps, gates] = gx.dims();
    let [gs_steps, gs_gates] = gs.dims();
    let hidden = gates / 4;
    let steps_ok = |steps: usize| steps == seq || steps == 1;
    let agree = gates % 4 == 0
        && seq > 0
        && steps_ok(gx_steps)
        && steps_ok(gs_steps)
        && gs_gates == gates
        && whh.dims() == [hidden, gates]
        && h0.dims() == [batch, hidden]
        && c0.dims() == [batch, hidden];
    let all_f32 = [gx.dtype(), gs.dtype(), whh.dtype(), h0.dtype(), c0.dtype()]
        .iter()
        .all(|dtype| *dtype == DType::F32);
    let device = gx.device().inner();
    let same_device = [gs.device(), h0.device(), c0.device(), whh.device()]
        .into_iter()
        .all(|d| d.inner() == device);
    if !agree || !all_f32 || !same_device || !supports(&device, gx.dtype()) {
        return None;
    }
    let out = <burn::backend::Dispatch as LstmRecurrenceBackend>::lstm_recurrence(
        gx.into_dispatch(),
        gs.into_dispatch(),
        whh.into_dispatch(),
        h0.into_dispatch(),
        c0.into_dispatch(),
        seq,
    );
    Some(Tensor::from_dispatch(out))
}
