//! A fused LSTM: all four gates in one weight matrix, one recurrent matmul per step.
//!
//! [`burn::nn::Lstm`] keeps one pair of `Linear` layers per gate, so a step costs eight matmuls
//! and slices the whole input tensor. Here a layer holds one input projection `[input, 4H]`, one
//! recurrent matrix `[H, 4H]` and one bias `[4H]`; gates are laid out `i, f, g, o` as in
//! `burn::nn::Lstm` and PyTorch, so weights convert by column blocks.
//!
//! Training cost matters more than elegance here: slicing a *tracked* `[batch, seq, ...]` tensor
//! once per step is O(seq²) in backward (each slice's backward zero-fills its whole parent). So
//! the input projection is done for the whole sequence in one matmul only when nothing is
//! tracked (inference); when the weights are tracked it is done per step on the untracked data
//! input, on the per-step hidden states of the layer below, or once for a constant input.
//! (Measured, batch 64, hidden 64, forward + backward: per-step projection 0.23 s at 320 steps
//! and 0.48 s at 640; one projection sliced per step 1.2 s and 20.5 s.)
//!
//! On Flex with `f32` weights, [`RecurrenceKernel::Auto`] runs each layer's recurrence as one
//! backend operation instead ([`crate::model::recurrence`]): the input projection of every step
//! in one matmul, then one fused call forward and one backward. The plain tensor-op layer
//! above remains for wgpu, ndarray and other dtypes, and is the fused one's test oracle.

use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer, LstmState};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Pre-activations are clamped to this magnitude before `exp`, so `exp` never overflows to
/// infinity (whose backward gives `0 * inf = NaN`). `sigmoid(30)` is 1 in f32.
const EXP_CLAMP: f32 = 30.0;

/// Configuration of a [`FusedLstm`], created with [`FusedLstmConfig::init`].
/// `FusedLstmConfig::default()` holds the documented defaults; missing fields in JSON take them
/// too: `FusedLstmConfig { d_input: 3, d_hidden: 16, ..Default::default() }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FusedLstmConfig {
    /// Features per input step. Default: 1 (one ECG lead).
    pub d_input: usize,
    /// Size of the hidden and cell states, `H`. Default: 64 (as
    /// [`LstmAutoencoderConfig::hidden`](super::LstmAutoencoderConfig::hidden)).
    pub d_hidden: usize,
    /// Number of stacked layers; layer `l > 0` reads the hidden states of layer `l - 1`.
    /// Default: 1.
    pub layers: usize,
    /// Dropout probability on the hidden states between stacked layers (training only).
    /// Default: 0.0.
    pub dropout: f64,
}

impl Default for FusedLstmConfig {
    fn default() -> Self {
        Self {
            d_input: 1,
            d_hidden: 64,
            layers: 1,
            dropout: 0.0,
        }
    }
}

/// One fused LSTM layer. Gate blocks of `4H` columns are ordered input, forget, cell, output.
#[derive(Module, Debug)]
pub struct FusedLstmLayer {
    /// Input projection, `[d_input, 4H]`.
    pub input_weight: Param<Tensor<2>>,
    /// Recurrent projection, `[H, 4H]`.
    pub hidden_weight: Param<Tensor<2>>,
    /// Gate bias, `[4H]` (the sum of PyTorch's `b_ih` and `b_hh`).
    pub bias: Param<Tensor<1>>,
}

/// A stack of [`FusedLstmLayer`]s with optional dropout between them.
#[derive(Module, Debug)]
pub struct FusedLstm {
    /// The layers, bottom first.
    pub layers: Vec<FusedLstmLayer>,
    /// Dropout applied to each hidden state passed to the next layer.
    pub dropout: Dropout,
}

/// How a [`FusedLstm`] runs its recurrence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RecurrenceKernel {
    /// The fused backend operation where the device supports it (Flex, `f32`), plain tensor
    /// ops elsewhere.
    #[default]
    Auto,
    /// Plain tensor ops on every device (the reference the fused operation is tested against).
    PlainOps,
}

/// What the top layer of a fused run keeps: everything ([`FusedLstm::forward_with`]), its
/// hidden states ([`FusedLstm::hidden_states`]) or its final state
/// ([`FusedLstm::final_states`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    All,
    Hidden,
    Final,
}

/// What the bottom layer of a [`FusedLstm`] reads.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value a forward pass, moved once, never stored in bulk: boxing the two \
              tensors would add an allocation a call and change a public type"
)]
pub enum LstmInput {
    /// A sequence `[batch, seq, d_input]`.
    Sequence(Tensor<3>),
    /// `[batch, d_input]`, the same at each of `seq` steps.
    Constant(Tensor<2>, usize),
    /// `[batch, d_c]` at every step beside row `t` of `[seq, d_s]` at step `t` (every batch row),
    /// with `d_c + d_s = d_input`.
    ConstantWithShared(Tensor<2>, Tensor<2>),
}

impl LstmInput {
    /// Rows, steps and device of the run this input asks for.
    fn batch_seq_device(&self) -> (usize, usize, Device) {
        match self {
            LstmInput::Sequence(x) => (x.dims()[0], x.dims()[1], x.device()),
            LstmInput::Constant(x, seq) => (x.dims()[0], *seq, x.device()),
            LstmInput::ConstantWithShared(x, shared) => (x.dims()[0], shared.dims()[0], x.device()),
        }
    }
}

impl From<LstmInput> for LayerInput {
    fn from(input: LstmInput) -> Self {
        match input {
            LstmInput::Sequence(x) => LayerInput::Sequence(x),
            LstmInput::Constant(x, seq) => LayerInput::Constant(x, seq),
            LstmInput::ConstantWithShared(x, shared) => LayerInput::ConstantWithShared(x, shared),
        }
    }
}

/// What a layer reads: a sequence, the per-step outputs of the layer below, or one vector
/// repeated at every step.
#[allow(
    clippy::large_enum_variant,
    reason = "one value a layer of a forward pass, moved once, never stored in bulk: boxing \
              would add an allocation a layer"
)]
enum LayerInput {
    /// `[batch, seq, d_input]`.
    Sequence(Tensor<3>),
    /// `seq` tensors `[batch, d_input]`.
    Steps(Vec<Tensor<2>>),
    /// `[batch, d_input]`, the same at each of `seq` steps.
    Constant(Tensor<2>, usize),
    /// `[batch, d_c]` at every step beside row `t` of `[seq, d_s]` at step `t` (every batch row).
    ConstantWithShared(Tensor<2>, Tensor<2>),
}

/// The input projection `x W + b` of a layer, `[batch, 4H]` per step.
enum Projection {
    /// One tensor per step.
    PerStep(Vec<Tensor<2>>),
    /// One tensor used at each of `seq` steps.
    Constant(Box<Tensor<2>>, usize),
    /// `[batch, 4H]` at every step plus one `[1, 4H]` per step, broadcast over the batch.
    ConstantPlusShared(Box<Tensor<2>>, Vec<Tensor<2>>),
}

impl FusedLstmConfig {
    /// Checks the configuration: sizes at least 1 and dropout in `[0, 1)`.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("d_input", self.d_input),
            ("d_hidden", self.d_hidden),
            ("layers", self.layers),
        ] {
            if value == 0 {
                return Err(Error::invalid(name, "must be at least 1"));
            }
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::invalid(
                "dropout",
                format!("must be in [0, 1), got {}", self.dropout),
            ));
        }
        Ok(())
    }

    /// Creates the module on `device`. Every weight and bias is drawn from
    /// `U(-1/sqrt(H), 1/sqrt(H))`, PyTorch's LSTM initialisation.
    pub fn init(&self, device: &Device) -> Result<FusedLstm> {
        self.validate()?;
        let h = self.d_hidden;
        let bound = 1.0 / (h as f64).sqrt();
        let init = Initializer::Uniform {
            min: -bound,
            max: bound,
        };
        let layers = (0..self.layers)
            .map(|l| {
                let d_in = if l == 0 { self.d_input } else { h };
                FusedLstmLayer {
                    input_weight: init.init([d_in, 4 * h], device),
                    hidden_weight: init.init([h, 4 * h], device),
                    bias: init.init([4 * h], device),
                }
            })
            .collect();
        Ok(FusedLstm {
            layers,
            dropout: DropoutConfig::new(self.dropout).init(),
        })
    }
}

impl FusedLstm {
    /// Runs the stack over `input` `[batch, seq, d_input]` from `state` (one
    /// [`LstmState`] per layer, bottom first, each `[batch, H]`; zeros when `None`).
    ///
    /// Returns the top layer's hidden states `[batch, seq, H]` and the final state of every
    /// layer, bottom first, each `[batch, H]`.
    ///
    /// A tracked `input` (one that needs gradients) is sliced per step, which is O(seq²) in
    /// backward; data inputs are untracked and cost O(seq).
    ///
    /// Panics (in Burn's matmul) when the last input dimension is not `d_input`, or a state is
    /// not `[batch, H]`.
    pub fn forward(
        &self,
        input: Tensor<3>,
        state: Option<Vec<LstmState<2>>>,
    ) -> (Tensor<3>, Vec<LstmState<2>>) {
        self.forward_with(LstmInput::Sequence(input), state, RecurrenceKernel::Auto)
    }

    /// Runs the stack over `seq` steps whose input is `input` `[batch, d_input]` at every step
    /// (e.g. a decoder fed its latent code); the bottom layer projects it once.
    ///
    /// Returns the top layer's hidden states `[batch, seq, H]` and the final state of every
    /// layer, bottom first, each `[batch, H]`. Panics like [`FusedLstm::forward`].
    pub fn forward_constant(
        &self,
        input: Tensor<2>,
        seq: usize,
        state: Option<Vec<LstmState<2>>>,
    ) -> (Tensor<3>, Vec<LstmState<2>>) {
        self.forward_with(
            LstmInput::Constant(input, seq),
            state,
            RecurrenceKernel::Auto,
        )
    }

    /// Like [`forward_constant`](Self::forward_constant), with a per-step part shared by the
    /// batch: step `t` reads `[input, shared[t]]`, where `input` is `[batch, d_c]`, `shared` is
    /// `[seq, d_s]` and `d_c + d_s = d_input` (e.g. a decoder fed its code and a time code).
    /// Both parts are projected once, so a step costs one addition more than a constant input.
    ///
    /// Returns the top layer's hidden states `[batch, seq, H]` and the final state of every
    /// layer, bottom first, each `[batch, H]`. Panics like [`FusedLstm::forward`].
    pub fn forward_constant_with_shared(
        &self,
        input: Tensor<2>,
        shared: Tensor<2>,
        state: Option<Vec<LstmState<2>>>,
    ) -> (Tensor<3>, Vec<LstmState<2>>) {
        let input = LstmInput::ConstantWithShared(input, shared);
        self.forward_with(input, state, RecurrenceKernel::Auto)
    }

    /// The final state of every layer, bottom first, each `[batch, H]`, after running the
    /// stack over `input` from `state` (e.g. an encoder that keeps only its last state). The
    /// same values as [`forward_with`](Self::forward_with)'s; on Flex the top layer's fused
    /// operation then outputs only its final state, so backward builds no gradient the size
    /// of the sequence for it.
    pub fn final_states(
        &self,
        input: LstmInput,
        state: Option<Vec<LstmState<2>>>,
    ) -> Vec<LstmState<2>> {
        match self.fused_plan(&input) {
            Some((batch, seq)) => self.run_fused(input, state, batch, seq, Keep::Final).1,
            None => self.forward_with(input, state, RecurrenceKernel::Auto).1,
        }
    }

    /// The top layer's hidden states `[batch, seq, H]` after running the stack over `input`
    /// from `state` (e.g. a decoder). The same values as [`forward_with`](Self::forward_with)'s;
    /// on Flex the top layer's fused operation then outputs no final cell state.
    pub fn hidden_states(&self, input: LstmInput, state: Option<Vec<LstmState<2>>>) -> Tensor<3> {
        match self.fused_plan(&input) {
            Some((batch, seq)) => {
                let (top, _) = self.run_fused(input, state, batch, seq, Keep::Hidden);
                top.unwrap_or_else(|| unreachable!("Keep::Hidden keeps the hidden states"))
            }
            None => self.forward_with(input, state, RecurrenceKernel::Auto).0,
        }
    }

    /// `(batch, seq)` when the fused operation runs `input` (a supported device, at least one
    /// step and one layer).
    fn fused_plan(&self, input: &LstmInput) -> Option<(usize, usize)> {
        let (batch, seq, device) = input.batch_seq_device();
        let runs = seq > 0 && !self.layers.is_empty() && self.fused_supported(&device);
        runs.then_some((batch, seq))
    }

    /// Runs the stack over `input` from `state` (see [`forward`](Self::forward)) with the
    /// recurrence `kernel`. Returns the top layer's hidden states `[batch, seq, H]` and the
    /// final state of every layer, bottom first, each `[batch, H]`. Panics like
    /// [`FusedLstm::forward`].
    pub fn forward_with(
        &self,
        input: LstmInput,
        state: Option<Vec<LstmState<2>>>,
        kernel: RecurrenceKernel,
    ) -> (Tensor<3>, Vec<LstmState<2>>) {
        let (batch, seq, device) = input.batch_seq_device();
        let h = self.layers.first().map_or(0, FusedLstmLayer::d_hidden);
        if seq == 0 || self.layers.is_empty() {
            let zeros = || Tensor::zeros([batch, h], &device);
            let finals = state.unwrap_or_else(|| {
                let initial = || LstmState::new(zeros(), zeros());
                self.layers.iter().map(|_| initial()).collect()
            });
            return (Tensor::zeros([batch, 0, h], &device), finals);
        }
        if kernel == RecurrenceKernel::Auto && self.fused_supported(&device) {
            let (top, finals) = self.run_fused(input, state, batch, seq, Keep::All);
            let top = top.unwrap_or_else(|| unreachable!("Keep::All keeps the hidden states"));
            return (top, finals);
        }
        let mut states = state.map(Vec::into_iter);
        let mut finals = Vec::with_capacity(self.layers.len());
        let mut input = Some(LayerInput::from(input));
        let mut hidden: Vec<Tensor<2>> = Vec::new();
        for layer in &self.layers {
            let layer_input = input.take().unwrap_or_else(|| {
                // Between layers: dropout on each state passed up (identity in inference).
                let below = hidden.drain(..).map(|h| self.dropout.forward(h));
                LayerInput::Steps(below.collect())
            });
            let initial = states.as_mut().and_then(Iterator::next);
            let (steps, last) = layer.run(layer.project(layer_input), initial);
            hidden = steps;
            finals.push(last);
        }
        (Tensor::stack(hidden, 1), finals)
    }
}

#[cfg(feature = "flex")]
impl FusedLstm {
    fn fused_supported(&self, device: &Device) -> bool {
        self.layers.iter().all(|layer| {
            let dtype = layer.hidden_weight.val().dtype();
            super::recurrence::supports(device, dtype)
        })
    }

    /// Each layer: every step's input projection in one matmul, then the fused recurrence.
    /// Layers below the top keep everything; the top one keeps what `top` says: the hidden
    /// states come back unless it is [`Keep::Final`], its final state unless [`Keep::Hidden`].
    fn run_fused(
        &self,
        input: LstmInput,
        state: Option<Vec<LstmState<2>>>,
        batch: usize,
        seq: usize,
        top: Keep,
    ) -> (Option<Tensor<3>>, Vec<LstmState<2>>) {
        use super::recurrence::Output;
        let mut states = state.map(Vec::into_iter);
        let mut finals = Vec::with_capacity(self.layers.len());
        let mut input = Some(input);
        let mut below: Option<Tensor<3>> = None;
        for (i, layer) in self.layers.iter().enumerate() {
            let output = match top {
                _ if i + 1 < self.layers.len() => Output::All,
                Keep::All => Output::All,
                Keep::Hidden => Output::Hidden,
                Keep::Final => Output::Final,
            };
            let layer_input = match (input.take(), below.take()) {
                (Some(input), _) => input,
                (None, Some(hidden)) => LstmInput::Sequence(self.dropout.forward(hidden)),
                (None, None) => unreachable!("each layer leaves its hidden states"),
            };
            let h = layer.d_hidden();
            let device = layer.hidden_weight.device();
            let (h0, c0) = match states.as_mut().and_then(Iterator::next) {
                Some(state) => (state.hidden, state.cell),
                None => (zeros(batch, h, &device), zeros(batch, h, &device)),
            };
            let out = layer
                .run_fused(layer_input, h0, c0, seq, output)
                .unwrap_or_else(|| panic!("FusedLstm: an initial state is not [batch, {h}]"));
            // Each slice costs a zero-filled gradient of `out`'s size in backward; the final
            // hidden state is sliced from `out` itself, not from the hidden states.
            let row = |out: &Tensor<3>, i: usize| {
                out.clone().slice([0..batch, i..i + 1, 0..h]).squeeze_dim(1)
            };
            match output {
                Output::All => {
                    finals.push(LstmState::new(row(&out, seq), row(&out, seq - 1)));
                    below = Some(out.slice([0..batch, 0..seq, 0..h]));
                }
                Output::Hidden => below = Some(out),
                Output::Final => finals.push(LstmState::new(row(&out, 1), row(&out, 0))),
            }
        }
        (below, finals)
    }
}

#[cfg(not(feature = "flex"))]
impl FusedLstm {
    fn fused_supported(&self, _: &Device) -> bool {
        false
    }

    fn run_fused(
        &self,
        _: LstmInput,
        _: Option<Vec<LstmState<2>>>,
        _: usize,
        _: usize,
        _: Keep,
    ) -> (Option<Tensor<3>>, Vec<LstmState<2>>) {
        unreachable!("the fused recurrence is built with the flex feature only")
    }
}

impl FusedLstmLayer {
    /// Hidden size `H`.
    pub fn d_hidden(&self) -> usize {
        self.hidden_weight.dims()[0]
    }

    /// The fused recurrence of this layer over `seq` steps of `input` from `h0`, `c0`, its
    /// output as `output` says (`[batch, seq + 1, H]`: hidden states, then the final cell),
    /// `None` if the operation does not take these operands. A sequence is projected inside
    /// the operation's steps; a constant input is projected once, as a per-row part
    /// `[batch, 1, 4H]` and a per-step part `[seq or 1, 4H]`, so nothing of size
    /// `batch x seq x 4H` is built.
    #[cfg(feature = "flex")]
    fn run_fused(
        &self,
        input: LstmInput,
        h0: Tensor<2>,
        c0: Tensor<2>,
        seq: usize,
        output: super::recurrence::Output,
    ) -> Option<Tensor<3>> {
        use super::recurrence::{lstm_recurrence, lstm_sequence};
        let w = self.input_weight.val();
        let whh = self.hidden_weight.val();
        let b = self.bias.val().unsqueeze_dim::<2>(0);
        let gates = 4 * self.d_hidden();
        match input {
            LstmInput::Sequence(x) => lstm_sequence(x, w, b, whh, h0, c0, output),
            LstmInput::Constant(x, _) => {
                lstm_recurrence(x.matmul(w).unsqueeze_dim(1), b, whh, h0, c0, seq, output)
            }
            LstmInput::ConstantWithShared(x, shared) => {
                let d_in = w.dims()[0];
                let d_c = x.dims()[1];
                let w_c = w.clone().slice([0..d_c, 0..gates]);
                let w_s = w.slice([d_c..d_in, 0..gates]);
                let per_row = x.matmul(w_c).unsqueeze_dim(1);
                let shared = shared.matmul(w_s) + b;
                lstm_recurrence(per_row, shared, whh, h0, c0, seq, output)
            }
        }
    }

    /// `x W + b` for every step, in as few matmuls as the tracking allows (see module docs).
    fn project(&self, input: LayerInput) -> Projection {
        let w = self.input_weight.val();
        let b = self.bias.val().unsqueeze_dim::<2>(0);
        let tracked = w.is_tracked() || b.is_tracked();
        let whole = |x: Tensor<3>| {
            let [batch, seq, d_in] = x.dims();
            let gates = x.reshape([batch * seq, d_in]).matmul(w.clone()) + b.clone();
            let gates: Tensor<3> = gates.reshape([batch, seq, 4 * self.d_hidden()]);
            gates
                .split(1, 1)
                .into_iter()
                .map(|g| g.squeeze_dim(1))
                .collect()
        };
        let per_step = |xs: Vec<Tensor<2>>| -> Vec<Tensor<2>> {
            xs.into_iter()
                .map(|x| x.matmul(w.clone()) + b.clone())
                .collect()
        };
        match input {
            LayerInput::Constant(x, seq) => {
                Projection::Constant(Box::new(x.matmul(w.clone()) + b), seq)
            }
            LayerInput::ConstantWithShared(x, shared) => {
                let [d_in, gates] = w.dims();
                let d_c = x.dims()[1];
                let w_c = w.clone().slice([0..d_c, 0..gates]);
                let w_s = w.slice([d_c..d_in, 0..gates]);
                // `[seq, 4H]`: slicing it per step zero-fills only seq x 4H values, not a batch.
                let per_step = shared.matmul(w_s).split(1, 0);
                Projection::ConstantPlusShared(Box::new(x.matmul(w_c) + b), per_step)
            }
            LayerInput::Sequence(x) if !tracked && !x.is_tracked() => Projection::PerStep(whole(x)),
            LayerInput::Sequence(x) => Projection::PerStep(per_step(
                x.split(1, 1)
                    .into_iter()
                    .map(|s| s.squeeze_dim(1))
                    .collect(),
            )),
            LayerInput::Steps(xs) if !tracked && !xs.iter().any(Tensor::is_tracked) => {
                Projection::PerStep(whole(Tensor::stack(xs, 1)))
            }
            LayerInput::Steps(xs) => Projection::PerStep(per_step(xs)),
        }
    }

    /// The recurrence over projected inputs `[batch, 4H]`; returns the hidden state of every
    /// step (`[batch, H]` each) and the final state.
    fn run(
        &self,
        projection: Projection,
        state: Option<LstmState<2>>,
    ) -> (Vec<Tensor<2>>, LstmState<2>) {
        let h = self.d_hidden();
        let (seq, first) = match &projection {
            Projection::PerStep(steps) => (steps.len(), steps.first()),
            Projection::Constant(x, seq) => (*seq, Some(x.as_ref())),
            Projection::ConstantPlusShared(x, steps) => (steps.len(), Some(x.as_ref())),
        };
        let Some(first) = first else {
            unreachable!("FusedLstm::run skips empty sequences")
        };
        let [batch, _] = first.dims();
        let device = first.device();
        // Multiplies the pre-activations so that one `sigmoid` serves all gates:
        // tanh(x) = 2 sigmoid(2x) - 1 for the cell block, sigmoid(x) for the others.
        let neg_scale = gate_scale(h, &device);
        let whh = self.hidden_weight.val();
        let mut state = state.map(|s| (s.hidden, s.cell));
        let mut outputs = Vec::with_capacity(seq);
        for t in 0..seq {
            let x = match &projection {
                Projection::PerStep(steps) => steps[t].clone(),
                Projection::Constant(x, _) => x.as_ref().clone(),
                Projection::ConstantPlusShared(x, steps) => x.as_ref().clone() + steps[t].clone(),
            };
            let gates = match &state {
                Some((hidden, _)) => x + hidden.clone().matmul(whh.clone()),
                None => x,
            };
            let act = neg_exp_sigmoid(gates * neg_scale.clone());
            let [i, f, g, o] = split4(act, h);
            let g = g.mul_scalar(2.0).add_scalar(-1.0);
            let cell = match state.take() {
                Some((_, c)) => f * c + i * g,
                None => i * g,
            };
            let hidden = o * tanh(cell.clone());
            outputs.push(hidden.clone());
            state = Some((hidden, cell));
        }
        let (hidden, cell) =
            state.unwrap_or_else(|| (zeros(batch, h, &device), zeros(batch, h, &device)));
        (outputs, LstmState::new(cell, hidden))
    }
}

/// `[1, 4H]` of `-1` for the `i, f, o` blocks and `-2` for the `g` block.
fn gate_scale(h: usize, device: &Device) -> Tensor<2> {
    let values: Vec<f32> = (0..4 * h)
        .map(|j| if j / h == 2 { -2.0 } else { -1.0 })
        .collect();
    Tensor::from_data(TensorData::new(values, [1, 4 * h]), device)
}

/// `1 / (1 + exp(z))` for `z = -x`, i.e. `sigmoid(x)`, with `z` clamped against overflow.
fn neg_exp_sigmoid<const D: usize>(z: Tensor<D>) -> Tensor<D> {
    z.clamp(-EXP_CLAMP, EXP_CLAMP).exp().add_scalar(1.0).recip()
}

/// `tanh(x) = 2 sigmoid(2x) - 1`.
fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    neg_exp_sigmoid(x.mul_scalar(-2.0))
        .mul_scalar(2.0)
        .add_scalar(-1.0)
}

/// Splits `[batch, 4H]` into the four gate blocks.
fn split4(x: Tensor<2>, h: usize) -> [Tensor<2>; 4] {
    let mut parts = x.split(h, 1).into_iter();
    let mut next = || {
        parts
            .next()
            .unwrap_or_else(|| unreachable!("4H splits into four blocks"))
    };
    [next(), next(), next(), next()]
}

fn zeros(batch: usize, h: usize, device: &Device) -> Tensor<2> {
    Tensor::zeros([batch, h], device)
}
