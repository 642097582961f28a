"""The six Table-1 models in PyTorch, trained the two ways a PyTorch user would:

  --mode pernode : one nn.Module per node, trained in a Python loop (what most scripts do);
                   with --nodes N only N nodes run and the time is extrapolated linearly.
  --mode batched : every node at once, the best an expert does for many small independent
                   models: torch.func.stack_module_state + vmap(functional_call) for MLP/CNN,
                   hand-written cells on batched matmuls (bmm/einsum over a node dimension)
                   for RNN/GRU/LSTM(sigmoid cell)/CNN-LSTM(relu cell); torch.optim.Adam on
                   the stacked parameters (elementwise, so each node keeps its own update).

Both: Keras-default initialisation (Glorot uniform, orthogonal recurrent, zero bias, LSTM
forget bias 1), Adam lr 1e-3 eps 1e-7, MSE, batch 32, shuffled each epoch.

Timing (common.run_peer): every model runs --repeats times in the same processes; the first
run is cold (first use of that model's code), the median of the others is the steady state.
--workers P splits the nodes over P processes of --threads threads each (node-parallel).

  python torch_peer.py --cube cube.h5 --out torch.h5 --mode batched --device cuda --epochs 20
  python torch_peer.py --cube cube.h5 --out t.h5 --mode pernode --workers 2 --threads 1 --nodes 8
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.func import functional_call, stack_module_state  # noqa: E402

import common  # noqa: E402

W = common.WINDOW


# ---- per-node modules (input x [B, L] normalised values) --------------------------------------
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(W, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(),
                                 nn.Linear(100, 1))

    def forward(self, x):
        return self.net(x)


class ConvBlock(nn.Module):
    """Conv1D(100,2,relu) x2 -> MaxPool1D(2) -> Flatten (time-major, as Keras)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 100, 2)
        self.conv2 = nn.Conv1d(100, 100, 2)
        self.pool = nn.MaxPool1d(2)

    def forward(self, x):  # [B, W] -> [B, features]
        h = torch.relu(self.conv1(x[:, None, :]))
        h = self.pool(torch.relu(self.conv2(h)))
        return h.transpose(1, 2).flatten(1)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = ConvBlock()
        self.dense = nn.Linear(100 * ((W - 2) // 2), 1)

    def forward(self, x):
        return self.dense(self.conv(x))


class RNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(1, 100, batch_first=True)
        self.dense = nn.Linear(100, 1)

    def forward(self, x):
        return self.dense(self.rnn(x[..., None])[1][0])


class GRU(nn.Module):  # PyTorch's GRU applies r after the recurrent matmul: Keras reset_after
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 100, batch_first=True)
        self.dense = nn.Linear(100, 1)

    def forward(self, x):
        return self.dense(self.gru(x[..., None])[1][0])


class LSTMCellAct(nn.Module):
    """Keras LSTM with a chosen cell activation (nn.LSTM only has tanh); gates i, f, c, o."""

    def __init__(self, inputs, units, activation):
        super().__init__()
        self.units = units
        self.activation = activation
        self.ih = nn.Linear(inputs, 4 * units)
        self.hh = nn.Linear(units, 4 * units, bias=False)

    def forward(self, x):  # [B, T, in] -> last h [B, u]
        h = x.new_zeros(x.shape[0], self.units)
        c = torch.zeros_like(h)
        for t in range(x.shape[1]):
            i, f, g, o = (self.ih(x[:, t]) + self.hh(h)).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * self.activation(g)
            h = torch.sigmoid(o) * self.activation(c)
        return h


class LSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = LSTMCellAct(1, 200, torch.sigmoid)
        self.dense_1 = nn.Linear(200, 100)
        self.dense_2 = nn.Linear(100, 1)

    def forward(self, x):
        return self.dense_2(self.dense_1(self.lstm(x[..., None])))


class CNNLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = ConvBlock()
        self.lstm = LSTMCellAct(100 * ((W - 2) // 2), 100, torch.relu)
        self.dense = nn.Linear(100, 1)

    def forward(self, x):  # [B, 8] -> 2 subsequences of 4, oldest first
        b = x.shape[0]
        features = self.conv(x.reshape(b * common.SUBSEQ, W)).reshape(b, common.SUBSEQ, -1)
        return self.dense(self.lstm(features))


MODULES = {"mlp": MLP, "cnn": CNN, "rnn": RNN, "gru": GRU, "lstm": LSTM, "cnn-lstm": CNNLSTM}


def keras_init_(module):
    """Keras defaults: Glorot uniform kernels, orthogonal recurrent kernels, zero biases,
    LSTM forget-gate bias 1."""
    for sub in module.modules():
        if isinstance(sub, (nn.Linear, nn.Conv1d)):
            nn.init.xavier_uniform_(sub.weight)  # same fans as Keras (k*cin, k*cout for conv)
            if sub.bias is not None:
                nn.init.zeros_(sub.bias)
        elif isinstance(sub, (nn.RNN, nn.GRU)):
            nn.init.xavier_uniform_(sub.weight_ih_l0)
            nn.init.orthogonal_(sub.weight_hh_l0)
            nn.init.zeros_(sub.bias_ih_l0)
            nn.init.zeros_(sub.bias_hh_l0)
    for sub in module.modules():
        if isinstance(sub, LSTMCellAct):
            nn.init.orthogonal_(sub.hh.weight)
            with torch.no_grad():
                sub.ih.bias[sub.units:2 * sub.units] = 1.0
    return module


def make_module(model, device):
    return keras_init_(MODULES[model]()).to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


# ---- (a) per-node loop ------------------------------------------------------------------------
def train_one_node(model, win, epochs, device):
    net = make_module(model, device)
    opt = torch.optim.Adam(net.parameters(), lr=common.LEARNING_RATE, eps=common.EPSILON)
    x = torch.from_numpy(win.x_train).to(device)
    y = torch.from_numpy(win.y_train).to(device)
    n = y.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n).to(device)
        for start in range(0, n, common.BATCH):
            idx = order[start:start + common.BATCH]
            loss = ((net(x[idx]).squeeze(-1) - y[idx]) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    with torch.no_grad():
        return net(torch.from_numpy(win.x_all).to(device)).squeeze(-1).cpu().numpy()


def run_pernode(model, tec, nodes, epochs, device, predicted):
    samples = common.train_per_node(model, tec, nodes, predicted,
                                    lambda win: train_one_node(model, win, epochs, device))
    sync(device)
    return samples


# ---- (b) batched over nodes: parameters [G, ...] ----------------------------------------------
def dense(p, name, h):  # h [G, B, in], weight [G, out, in]
    return torch.baddbmm(p[name + ".bias"][:, None, :], h, p[name + ".weight"].transpose(1, 2))


def conv_block(p, prefix, x):  # x [G, B, W] -> [G, B, 100]: both convs as einsum, then the pool
    w1, b1 = p[prefix + ".conv1.weight"], p[prefix + ".conv1.bias"]  # [G, 100, 1, 2], [G, 100]
    w2, b2 = p[prefix + ".conv2.weight"], p[prefix + ".conv2.bias"]  # [G, 100, 100, 2]
    steps = torch.stack([x[..., t:t + 2] for t in range(W - 1)], dim=2)  # [G, B, 3, 2]
    h1 = torch.relu(torch.einsum("gbtk,gfk->gbtf", steps, w1[:, :, 0, :]) + b1[:, None, None])
    pairs = torch.stack([h1[:, :, t:t + 2] for t in range(W - 2)], dim=2)  # [G, B, 2, 2, 100]
    h2 = torch.relu(torch.einsum("gbtkc,gfck->gbtf", pairs, w2) + b2[:, None, None])
    return h2[:, :, :2 * ((W - 2) // 2)].unflatten(2, (-1, 2)).amax(3).flatten(2)


def lstm_cells(p, prefix, x, activation):  # x [G, B, T, in] -> last h [G, B, u]
    wi, bi, wh = p[prefix + ".ih.weight"], p[prefix + ".ih.bias"], p[prefix + ".hh.weight"]
    units = wh.shape[2]
    h = x.new_zeros(x.shape[0], x.shape[1], units)
    c = torch.zeros_like(h)
    for t in range(x.shape[2]):
        gates = torch.baddbmm(bi[:, None, :], x[:, :, t], wi.transpose(1, 2))
        gates = torch.baddbmm(gates, h, wh.transpose(1, 2))
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * activation(g)
        h = torch.sigmoid(o) * activation(c)
    return h


def rnn_forward(p, x):  # SimpleRNN(tanh), x [G, B, W]
    wi, wh = p["rnn.weight_ih_l0"][:, :, 0], p["rnn.weight_hh_l0"]
    bias = (p["rnn.bias_ih_l0"] + p["rnn.bias_hh_l0"])[:, None, :]
    h = x.new_zeros(x.shape[0], x.shape[1], wh.shape[2])
    for t in range(x.shape[2]):
        h = torch.tanh(torch.baddbmm(bias + x[:, :, t, None] * wi[:, None, :], h,
                                     wh.transpose(1, 2)))
    return dense(p, "dense", h)


def gru_forward(p, x):  # PyTorch gate order r, z, n; r after the recurrent matmul
    wi, wh = p["gru.weight_ih_l0"][:, :, 0], p["gru.weight_hh_l0"]
    bi, bh = p["gru.bias_ih_l0"][:, None, :], p["gru.bias_hh_l0"][:, None, :]
    h = x.new_zeros(x.shape[0], x.shape[1], wh.shape[2])
    for t in range(x.shape[2]):
        gi = (bi + x[:, :, t, None] * wi[:, None, :]).chunk(3, dim=-1)
        gh = torch.baddbmm(bh, h, wh.transpose(1, 2)).chunk(3, dim=-1)
        r = torch.sigmoid(gi[0] + gh[0])
        z = torch.sigmoid(gi[1] + gh[1])
        n = torch.tanh(gi[2] + r * gh[2])
        h = (1 - z) * n + z * h
    return dense(p, "dense", h)


def lstm_forward(p, x):
    h = lstm_cells(p, "lstm", x[..., None], torch.sigmoid)
    return dense(p, "dense_2", dense(p, "dense_1", h))


def cnnlstm_forward(p, x):  # x [G, B, 8]
    g, b = x.shape[:2]
    features = conv_block(p, "conv", x.reshape(g, b * common.SUBSEQ, W))
    h = lstm_cells(p, "lstm", features.reshape(g, b, common.SUBSEQ, -1), torch.relu)
    return dense(p, "dense", h)


HAND_WRITTEN = {"rnn": rnn_forward, "gru": gru_forward, "lstm": lstm_forward,
                "cnn-lstm": cnnlstm_forward}


def batched_forward(model, device, count):
    """(params dict of [G, ...] leaf tensors, forward(params, x [G, B, L]) -> [G, B])."""
    modules = [make_module(model, device) for _ in range(count)]
    params, buffers = stack_module_state(modules)
    if model in HAND_WRITTEN:
        fn = HAND_WRITTEN[model]
        return params, lambda p, x: fn(p, x).squeeze(-1)
    base = MODULES[model]().to("meta")

    def one(p, b, x):
        return functional_call(base, (p, b), (x,))

    vmapped = torch.vmap(one)
    return params, lambda p, x: vmapped(p, buffers, x).squeeze(-1)


def run_batched(model, tec, nodes, epochs, device, predicted):
    length = common.input_length(model)
    wins = common.trainable_windows(model, tec, nodes)
    if not wins:
        return 0
    counts = torch.tensor([w.y_train.size for _, w in wins], device=device)
    x = torch.from_numpy(common.padded([w.x_train for _, w in wins], width=(length,))).to(device)
    y = torch.from_numpy(common.padded([w.y_train for _, w in wins])).to(device)
    params, forward = batched_forward(model, device, len(wins))
    opt = torch.optim.Adam(params.values(), lr=common.LEARNING_RATE, eps=common.EPSILON)
    g, n_max = y.shape
    slots = torch.arange(n_max, device=device)
    valid = slots[None, :] < counts[:, None]
    for _ in range(epochs):
        # Each node shuffles its own samples; padding slots sort last and weigh 0. A node with
        # fewer samples than the largest then sees Adam steps with zero gradient at the end.
        keys = torch.rand(g, n_max, device=device).masked_fill(~valid, 2.0)
        order = keys.argsort(dim=1)
        for start in range(0, n_max, common.BATCH):
            idx = order[:, start:start + common.BATCH]
            xb = torch.gather(x, 1, idx[..., None].expand(-1, -1, length))
            yb = torch.gather(y, 1, idx)
            wb = torch.gather(valid, 1, idx).float()
            err = (forward(params, xb) - yb) ** 2 * wb
            # Sum over nodes of each node's batch mean: every node gets its own gradient.
            loss = (err.sum(1) / wb.sum(1).clamp(min=1)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    x_all = torch.from_numpy(common.padded([w.x_all for _, w in wins], width=(length,))).to(device)
    with torch.no_grad():
        pred = torch.cat([forward(params, x_all[:, s:s + 1024])
                          for s in range(0, x_all.shape[1], 1024)], dim=1).cpu().numpy()
    sync(device)
    for i, (n, w) in enumerate(wins):
        w.denormalise_into(predicted[n], pred[i, :w.t_all.size])
    return int(counts.sum())


def add_arguments(parser):
    parser.add_argument("--mode", choices=["pernode", "batched"], default="pernode")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")


class Trainer:
    def __init__(self, args):
        self.device = torch.device(args.device)
        self.run = run_pernode if args.mode == "pernode" else run_batched
        self.name = f"torch-{args.mode}-{self.device.type}"

    def train(self, model, tec, nodes, epochs, predicted):
        return self.run(model, tec, nodes, epochs, self.device, predicted)


def setup(args):
    """Threads, seed and device of this process; a tiny operation initialises the runtime
    (OpenMP pool, CUDA context) so that start-up is not charged to the first model."""
    if args.threads > 0:
        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(args.threads)
        except RuntimeError:  # only settable before the first parallel work: already set
            pass
    torch.manual_seed(args.seed)
    trainer = Trainer(args)
    device = trainer.device
    (torch.ones(64, 64, device=device) @ torch.ones(64, 64, device=device)).sum().item()
    print(f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else
             f", {torch.get_num_threads()} threads"), flush=True)
    return trainer


if __name__ == "__main__":
    common.run_peer("torch_peer", __doc__)
