"""PyTorch twins of the crate's two models at their default configs, for the side-by-side bench.

Mirrors, layer for layer:

* ``LstmAutoencoder`` (src/model/lstm_autoencoder.rs, src/model/fused_lstm.rs): channels 1,
  hidden 64, latent 32, one layer, time code 8. Encoder LSTM -> last hidden state -> Linear to
  the latent code; the decoder LSTM reads ``[code, time_code[t]]`` at step ``t``, where the time
  code is ``sin``/``cos`` of ``2 pi k t / seq``, ``k = 1..4`` (interleaved sin, cos); its hidden
  states -> Linear to one channel. Loss: MSE over every element. 45,921 trainable parameters.

  The Rust ``FusedLstm`` has ONE gate bias ``[4H]`` per layer, PyTorch's ``nn.LSTM`` two
  (``b_ih`` and ``b_hh``). Here ``b_hh`` is zeroed and frozen (``requires_grad=False``), so the
  function and the trainable parameters are the Rust ones; each LSTM carries 256 extra
  constant values that cost one addition per step. ``LstmAutoencoderStepLoop`` is the other
  reading: the Rust recurrence written out in Python (one matmul per step), no extra bias.

* ``ConvVae`` (src/model/conv_vae/): blocks 32-64-128-256, kernel 7, stride 2, padding 3,
  BatchNorm (eps 1e-5, momentum 0.1), LeakyReLU 0.2, dropout 0.1; flatten, Linear heads to
  ``mu`` and ``log_var`` (latent 16); Linear back, three ConvTranspose1d blocks (same norm,
  activation, dropout) and a plain ConvTranspose1d output, each with the output padding that
  restores the encoder's recorded length. Training samples ``z = mu + exp(log_var / 2) eps``;
  eval decodes ``mu``. Loss: MSE over every element + beta * KL, KL summed over the latent and
  averaged over the batch, beta 1. 855,585 trainable parameters at seq 320, 805,409 at 256.

Both take ``[batch, seq, channels]`` like the Rust models (the VAE transposes to
``[batch, channels, seq]`` inside, as the Rust one does).
"""

import math

import torch
from torch import nn

# Trainable parameter counts of the Rust models, by hand from the Rust code (and asserted by its
# tests: tests/it/lstm_autoencoder.rs and src/model/conv_vae/tests.rs).
RUST_LSTM_AE_PARAMS = 45_921
RUST_CONV_VAE_PARAMS = {320: 855_585, 256: 805_409}


def rust_conv_vae_params(seq: int, channels: int = 1, kernel: int = 7, latent: int = 16) -> int:
    """The Rust ConvVae's trainable parameters at default blocks, by the layer arithmetic of
    ``hand_count`` in src/model/conv_vae/tests.rs (for window lengths other than 256 and 320)."""
    widths = [channels, 32, 64, 128, 256]
    conv = lambda c_in, c_out: c_in * c_out * kernel + c_out  # noqa: E731
    deepest = seq
    for _ in range(4):
        deepest = (deepest + 2 * (kernel // 2) - kernel) // 2 + 1
    flat = 256 * deepest
    encoder = sum(conv(widths[i], widths[i + 1]) + 2 * widths[i + 1] for i in range(4))
    heads = 2 * (flat * latent + latent)
    project = latent * flat + flat
    decoder = sum(conv(widths[i + 1], widths[i]) + 2 * widths[i] for i in range(1, 4))
    return encoder + heads + project + decoder + conv(32, channels)
# Burn's `num_params` also counts BatchNorm running means and variances; PyTorch keeps those as
# buffers: 2 * (32 + 64 + 128 + 256) in the encoder + 2 * (128 + 64 + 32) in the decoder.
RUST_CONV_VAE_RUNNING_STATS = 1_408


def time_code(seq: int, features: int) -> torch.Tensor:
    """``[seq, features]``: feature ``2j`` is ``sin(2 pi (j+1) t / seq)``, ``2j+1`` its cos."""
    t = torch.arange(seq, dtype=torch.float64).unsqueeze(1)
    k = torch.arange(features) // 2 + 1
    phase = 2 * math.pi * k.to(torch.float64) * t / seq
    code = torch.where(torch.arange(features) % 2 == 0, phase.sin(), phase.cos())
    return code.to(torch.float32)


def trainable_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _single_bias_lstm(d_input: int, hidden: int) -> nn.LSTM:
    """``nn.LSTM`` whose ``b_hh`` is zero and frozen: one trainable gate bias, as in Rust."""
    lstm = nn.LSTM(d_input, hidden, num_layers=1, batch_first=True)
    with torch.no_grad():
        lstm.bias_hh_l0.zero_()
    lstm.bias_hh_l0.requires_grad_(False)
    return lstm


class LstmAutoencoder(nn.Module):
    """The crate's ``LstmAutoencoder`` on ``nn.LSTM`` (PyTorch's native LSTM kernel)."""

    def __init__(self, channels=1, hidden=64, latent=32, time_features=8):
        super().__init__()
        self.time_features = time_features
        self.encoder = _single_bias_lstm(channels, hidden)
        self.to_latent = nn.Linear(hidden, latent)
        self.decoder = _single_bias_lstm(latent + time_features, hidden)
        self.to_output = nn.Linear(hidden, channels)
        self._codes = {}

    def _time_code(self, seq, device):
        key = (seq, device)
        if key not in self._codes:
            self._codes[key] = time_code(seq, self.time_features).to(device)
        return self._codes[key]

    def forward(self, x):
        """``[batch, seq, channels]`` -> (reconstruction, latent code)."""
        batch, seq, _ = x.shape
        _, (h_n, _) = self.encoder(x)
        z = self.to_latent(h_n[-1])  # top layer's final hidden state
        code = self._time_code(seq, x.device).unsqueeze(0).expand(batch, -1, -1)
        dec_in = torch.cat([z.unsqueeze(1).expand(-1, seq, -1), code], dim=2)
        hidden, _ = self.decoder(dec_in)
        return self.to_output(hidden), z

    def loss(self, x, out):
        return torch.mean((out[0] - x) ** 2)


class _StepLoopLstm(nn.Module):
    """One fused layer as in fused_lstm.rs: ``W_ih [d_in, 4H]``, ``W_hh [H, 4H]``, ``b [4H]``,
    gates i, f, g, o, PyTorch's uniform init."""

    def __init__(self, d_input, hidden):
        super().__init__()
        bound = 1.0 / math.sqrt(hidden)
        self.hidden = hidden
        self.w_ih = nn.Parameter(torch.empty(d_input, 4 * hidden).uniform_(-bound, bound))
        self.w_hh = nn.Parameter(torch.empty(hidden, 4 * hidden).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(4 * hidden).uniform_(-bound, bound))

    def run(self, steps):
        """``steps``: a list of ``[batch, 4H]`` input projections (bias included)."""
        h = c = None
        outputs = []
        for x in steps:
            gates = x if h is None else x + h @ self.w_hh
            i, f, g, o = gates.split(self.hidden, dim=1)
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
            c = i * g if c is None else f * c + i * g
            h = o * c.tanh()
            outputs.append(h)
        return outputs


class LstmAutoencoderStepLoop(nn.Module):
    """The same model with the Rust recurrence written out: per-step input projection of the
    data when training (whole-sequence when not), the decoder's constant and time-code parts
    projected once, one recurrent matmul per step."""

    def __init__(self, channels=1, hidden=64, latent=32, time_features=8):
        super().__init__()
        self.time_features = time_features
        self.latent = latent
        self.encoder = _StepLoopLstm(channels, hidden)
        self.to_latent = nn.Linear(hidden, latent)
        self.decoder = _StepLoopLstm(latent + time_features, hidden)
        self.to_output = nn.Linear(hidden, channels)

    def forward(self, x):
        batch, seq, _ = x.shape
        enc = self.encoder
        if torch.is_grad_enabled():
            steps = [x[:, t] @ enc.w_ih + enc.bias for t in range(seq)]
        else:
            steps = list((x @ enc.w_ih + enc.bias).unbind(1))
        h_last = enc.run(steps)[-1]
        z = self.to_latent(h_last)
        dec = self.decoder
        constant = z @ dec.w_ih[: self.latent] + dec.bias
        shared = time_code(seq, self.time_features).to(x.device) @ dec.w_ih[self.latent:]
        hidden = dec.run([constant + s for s in shared.unbind(0)])
        return self.to_output(torch.stack(hidden, dim=1)), z

    def loss(self, x, out):
        return torch.mean((out[0] - x) ** 2)


def _encoded_length(length, kernel, stride, padding):
    return (length + 2 * padding - kernel) // stride + 1


class _Block(nn.Sequential):
    """(Transposed) conv -> BatchNorm -> LeakyReLU -> Dropout."""

    def __init__(self, conv, c_out, slope, dropout):
        super().__init__(conv, nn.BatchNorm1d(c_out), nn.LeakyReLU(slope), nn.Dropout(dropout))


class ConvVae(nn.Module):
    """The crate's ``ConvVae`` at its defaults; input ``[batch, seq, channels]``."""

    def __init__(self, seq=320, channels=1, block_channels=(32, 64, 128, 256), kernel=7,
                 stride=2, dropout=0.1, latent=16, beta=1.0, slope=0.2):
        super().__init__()
        pad = kernel // 2
        self.beta = beta
        widths = [channels, *block_channels]
        lengths = [seq]
        for _ in block_channels:
            lengths.append(_encoded_length(lengths[-1], kernel, stride, pad))
        blocks = len(block_channels)
        self.deepest = (widths[blocks], lengths[blocks])
        flat = widths[blocks] * lengths[blocks]

        def conv_t(c_in, c_out, i):
            # Output padding that restores lengths[i] from lengths[i + 1] exactly.
            out_pad = lengths[i] - ((lengths[i + 1] - 1) * stride + kernel - 2 * pad)
            return nn.ConvTranspose1d(c_in, c_out, kernel, stride=stride, padding=pad,
                                      output_padding=out_pad)

        self.encoder = nn.Sequential(*[
            _Block(nn.Conv1d(widths[i], widths[i + 1], kernel, stride=stride, padding=pad),
                   widths[i + 1], slope, dropout)
            for i in range(blocks)])
        self.mu = nn.Linear(flat, latent)
        self.log_var = nn.Linear(flat, latent)
        self.project = nn.Linear(latent, flat)
        self.decoder = nn.Sequential(*[
            _Block(conv_t(widths[i + 1], widths[i], i), widths[i], slope, dropout)
            for i in range(blocks - 1, 0, -1)])
        self.output = conv_t(widths[1], widths[0], 0)

    def forward(self, x):
        """``[batch, seq, channels]`` -> (reconstruction, mu, log_var)."""
        h = self.encoder(x.transpose(1, 2)).flatten(1)
        mu, log_var = self.mu(h), self.log_var(h)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu) if self.training else mu
        d = self.project(z).reshape(x.shape[0], *self.deepest)
        return self.output(self.decoder(d)).transpose(1, 2), mu, log_var

    def loss(self, x, out):
        recon, mu, log_var = out
        mse = torch.mean((recon - x) ** 2)
        kl = -0.5 * torch.mean(torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))
        return mse + self.beta * kl


def running_stat_count(model: nn.Module) -> int:
    """BatchNorm running means and variances (what Burn's ``num_params`` adds)."""
    return sum(b.numel() for name, b in model.named_buffers()
               if name.endswith(("running_mean", "running_var")))


def build(model: str, seq: int) -> nn.Module:
    """A fresh model by bench name, its trainable parameter count checked against Rust."""
    if model == "lstm_ae":
        m = LstmAutoencoder()
        expected = RUST_LSTM_AE_PARAMS
    elif model == "lstm_ae_steploop":
        m = LstmAutoencoderStepLoop()
        expected = RUST_LSTM_AE_PARAMS
    elif model == "conv_vae":
        m = ConvVae(seq=seq)
        expected = RUST_CONV_VAE_PARAMS.get(seq, rust_conv_vae_params(seq))
        stats = running_stat_count(m)
        assert stats == RUST_CONV_VAE_RUNNING_STATS, (stats, RUST_CONV_VAE_RUNNING_STATS)
    else:
        raise ValueError(f"unknown model {model!r}")
    n = trainable_params(m)
    assert n == expected, f"{model} seq {seq}: {n} trainable parameters, Rust has {expected}"
    return m
