//! The recurrence under autodiff: the forward saves gate activations and cell states, the
//! backward is one backpropagation-through-time pass over them ([`super::kernel::backward`]).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Flex};

use super::LstmRecurrenceBackend;
use super::flex::{Operands, SavedTensors};

#[derive(Debug)]
struct Recurrence;

impl Backward<Flex, 5> for Recurrence {
    type State = (Operands, SavedTensors);

    fn backward(self, ops: Ops<Self::State, 5>, grads: &mut Gradients, _: &mut Checkpointer) {
        let d_out = grads.consume::<Flex>(&ops.node);
        let (operands, saved) = ops.state;
        let gradients = operands.backward(&saved, d_out);
        for (parent, gradient) in ops.parents.into_iter().zip(gradients) {
            if let Some(node) = parent {
                grads.register::<Flex>(node.id, gradient);
            }
        }
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
    ) -> FloatTensor<Self> {
        let nodes = [gx.node(), gs.node(), whh.node(), h0.node(), c0.node()];
        let operands = Operands::new(
            gx.into_primitive(),
            gs.into_primitive(),
            whh.into_primitive(),
            h0.into_primitive(),
            c0.into_primitive(),
            seq,
        );
        match Recurrence.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let (out, saved) = operands.forward(true);
                let saved = saved.unwrap_or_else(|| unreachable!("forward(true) saves"));
                prep.finish((operands.for_backward(), saved), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(operands.forward(false).0),
        }
    }
}
