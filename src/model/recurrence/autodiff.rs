//! The recurrence under autodiff: the forward saves gate activations and cell states, the
//! backward is one backpropagation-through-time pass over them ([`super::kernel::backward`]).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Flex};

use super::flex::{OperandGrads, Operands, SavedTensors};
use super::{LstmRecurrenceBackend, Output};

/// [`LstmRecurrenceBackend::lstm_recurrence`]: parents `gx, gs, whh, h0, c0`.
#[derive(Debug)]
struct FromParts;

/// [`LstmRecurrenceBackend::lstm_sequence`]: parents `x, wih, gs, whh, h0, c0`.
#[derive(Debug)]
struct FromSequence;

type State = (Operands, SavedTensors);

/// Runs backward and hands each tracked parent its gradient, picked by `pick`.
fn register<const N: usize>(
    ops: Ops<State, N>,
    grads: &mut Gradients,
    pick: impl FnOnce(OperandGrads) -> [burn_flex::FlexTensor; N],
) {
    let d_out = grads.consume::<Flex>(&ops.node);
    let (operands, saved) = ops.state;
    let gradients = pick(operands.backward(&saved, d_out));
    for (parent, gradient) in ops.parents.into_iter().zip(gradients) {
        if let Some(node) = parent {
            grads.register::<Flex>(node.id, gradient);
        }
    }
}

impl Backward<Flex, 5> for FromParts {
    type State = State;

    fn backward(self, ops: Ops<State, 5>, grads: &mut Gradients, _: &mut Checkpointer) {
        register(ops, grads, |g| [g.gx, g.gs, g.whh, g.h0, g.c0]);
    }
}

impl Backward<Flex, 6> for FromSequence {
    type State = State;

    fn backward(self, ops: Ops<State, 6>, grads: &mut Gradients, _: &mut Checkpointer) {
        register(ops, grads, |g| [g.x, g.wih, g.gs, g.whh, g.h0, g.c0]);
    }
}

/// Forward, saving what backward needs only when some input is tracked.
fn run<B: Backward<Flex, N, State = State>, C: CheckpointStrategy, const N: usize>(
    op: B,
    nodes: [burn::backend::autodiff::ops::NodeGuard; N],
    operands: Operands,
) -> FloatTensor<Autodiff<Flex, C>> {
    match op.prepare::<C>(nodes).compute_bound().stateful() {
        OpsKind::Tracked(prep) => {
            let (out, saved) = operands.forward(true);
            let saved = saved.unwrap_or_else(|| unreachable!("forward(true) saves"));
            prep.finish((operands.for_backward(), saved), out)
        }
        OpsKind::UnTracked(prep) => prep.finish(operands.forward(false).0),
    }
}

impl<C: CheckpointStrategy> LstmRecurrenceBackend for Autodiff<Flex, C> {
    fn lstm_recurrence(
        gx: FloatTensor<Self>,
        gs: FloatTensor<Self>,
        whh: FloatTensor<Self>,
        h0: FloatTensor<Self>,
        c0: FloatTensor<Self>,
        seq: usize,
        output: Output,
    ) -> FloatTensor<Self> {
        let nodes = [gx.node(), gs.node(), whh.node(), h0.node(), c0.node()];
        let operands = Operands::parts(
            gx.into_primitive(),
            gs.into_primitive(),
            whh.into_primitive(),
            h0.into_primitive(),
            c0.into_primitive(),
            seq,
            output,
        );
        run::<_, C, 5>(FromParts, nodes, operands)
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
        let nodes = [
            x.node(),
            wih.node(),
            gs.node(),
            whh.node(),
            h0.node(),
            c0.node(),
        ];
        let operands = Operands::sequence(
            x.into_primitive(),
            wih.into_primitive(),
            gs.into_primitive(),
            whh.into_primitive(),
            h0.into_primitive(),
            c0.into_primitive(),
            output,
        );
        run::<_, C, 6>(FromSequence, nodes, operands)
    }
}
