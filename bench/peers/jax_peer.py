"""The six Table-1 models in JAX, every node at once: the parameters of all nodes stacked with
a leading node dimension, jax.vmap over nodes of one node's training step (forward, grad,
optax.adam update), a whole epoch jitted as one lax.scan over the minibatches.

Each node draws its own initial weights and its own batch order from (seed, model, node), keeps
its own Adam state (step counter included), and a minibatch that is empty for a node (it has
fewer samples than the largest) is no step for it: every node trains exactly as it would alone.
Keras-default initialisation (Glorot uniform, orthogonal recurrent, zero bias, LSTM forget bias
1), Adam lr 1e-3 eps 1e-7, MSE, batch 32, reshuffled every epoch, last partial batch kept.

Timing (common.run_peer): every model runs --repeats times in the same processes; the first
run is cold (XLA compiles the model's init, epoch and predict functions: seconds per model on
a CPU), the median of the others is the steady state. --workers P splits the nodes over P
processes; --threads N pins each to N CPUs (XLA has no thread-count knob: _limit_cpu_threads).

  python jax_peer.py --cube cube.h5 --out jax.h5 --epochs 10 --threads 2
  python jax_peer.py --cube cube.h5 --out jax.h5 --epochs 10 --workers 2 --threads 1
  python jax_peer.py --cube cube.h5 --out jax.h5 --epochs 20 --device gpu
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402

# Imported by setup(), after the environment that configures XLA is set.
jax = jnp = optax = None
W = common.WINDOW


def add_arguments(parser):
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--chunk", type=int, default=512,
                        help="targets per node in one prediction call (bounds the memory)")


def _limit_cpu_threads(threads):
    """XLA has no thread-count option, so pin the process to `threads` CPUs before jax starts
    (XLA sizes its thread pools from the CPUs it may use; the pin bounds it in any case).
    Unlike torch.set_num_threads this also fixes the cores: worker w of a run takes the w-th
    group of `threads` CPUs (wrapping when workers x threads exceeds the CPUs), so workers do
    not share a core. Measured with jaxlib 0.10.2: XLA_FLAGS=--xla_cpu_multi_thread_eigen=false
    alone still kept 2 cores busy on a large matmul, and the old recipe's
    `intra_op_parallelism_threads=1` token is silently ignored (not an XLA flag)."""
    import multiprocessing
    cpus = sorted(os.sched_getaffinity(0))
    # 0 in the main process; k - 1 in the k-th process it spawned (common._Pool's worker k - 1).
    identity = multiprocessing.current_process()._identity
    worker = identity[0] - 1 if identity else 0
    first = worker * threads
    os.sched_setaffinity(0, {cpus[(first + i) % len(cpus)] for i in range(threads)})
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + " --xla_cpu_multi_thread_eigen=false").strip()


# ---- one node's model: parameters as Keras names them, x [B, L] normalised -> [B] ------------
def glorot(key, shape):  # fans as Keras: [in, out]; conv [k, cin, cout] -> k cin, k cout
    return jax.nn.initializers.glorot_uniform()(key, shape, jnp.float32)


def dense_init(key, n_in, n_out):
    return {"kernel": glorot(key, (n_in, n_out)), "bias": jnp.zeros(n_out)}


def conv_init(key, cin, cout, kernel=2):
    return {"kernel": glorot(key, (kernel, cin, cout)), "bias": jnp.zeros(cout)}


def recurrent_init(key, n_in, units, gates, bias):
    k1, k2 = jax.random.split(key)
    return {"kernel": glorot(k1, (n_in, gates * units)),
            "recurrent_kernel": jax.nn.initializers.orthogonal()(k2, (units, gates * units)),
            "bias": bias}


def lstm_init(key, n_in, units):  # Keras unit_forget_bias: the f block of the bias is 1
    bias = jnp.zeros(4 * units).at[units:2 * units].set(1.0)
    return recurrent_init(key, n_in, units, 4, bias)


def dense(p, h):
    return h @ p["kernel"] + p["bias"]


CONV_FEATURES = 100 * ((W - 2) // 2)  # two valid convs (4 -> 3 -> 2 steps), pool 2, flatten


def conv_block(p, x):
    """Conv1D(100, 2, relu) x2 -> MaxPool1D(2) -> Flatten, time-major as Keras: [B, W] ->
    [B, CONV_FEATURES]. Each conv as a sum over its taps of [B, steps, cin] @ [cin, cout]."""
    h = x[..., None]
    for conv in (p["conv1d_1"], p["conv1d_2"]):
        k = conv["kernel"]
        steps = h.shape[1] - k.shape[0] + 1
        h = jax.nn.relu(conv["bias"] + sum(h[:, j:j + steps] @ k[j] for j in range(k.shape[0])))
    pooled = h.shape[1] // 2
    h = h[:, :2 * pooled].reshape(h.shape[0], pooled, 2, h.shape[2]).max(axis=2)
    return h.reshape(h.shape[0], -1)


def simple_rnn(p, xs):  # xs [B, T, in] -> last h
    h = jnp.zeros((xs.shape[0], p["recurrent_kernel"].shape[0]))
    for t in range(xs.shape[1]):
        h = jnp.tanh(xs[:, t] @ p["kernel"] + h @ p["recurrent_kernel"] + p["bias"])
    return h


def gru(p, xs):
    """Keras GRU(reset_after=True): gate blocks z, r, h; bias [2, 3u] = (input, recurrent);
    r multiplies the recurrent part after its matmul (what PyTorch's GRU does too)."""
    h = jnp.zeros((xs.shape[0], p["recurrent_kernel"].shape[0]))
    for t in range(xs.shape[1]):
        xz, xr, xh = jnp.split(xs[:, t] @ p["kernel"] + p["bias"][0], 3, axis=-1)
        hz, hr, hh = jnp.split(h @ p["recurrent_kernel"] + p["bias"][1], 3, axis=-1)
        z = jax.nn.sigmoid(xz + hz)
        r = jax.nn.sigmoid(xr + hr)
        h = z * h + (1 - z) * jnp.tanh(xh + r * hh)
    return h


def lstm(p, xs, activation):  # Keras LSTM, gate blocks i, f, c, o, recurrent activation sigmoid
    h = jnp.zeros((xs.shape[0], p["recurrent_kernel"].shape[0]))
    c = h
    for t in range(xs.shape[1]):
        gates = xs[:, t] @ p["kernel"] + h @ p["recurrent_kernel"] + p["bias"]
        i, f, g, o = jnp.split(gates, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * activation(g)
        h = jax.nn.sigmoid(o) * activation(c)
    return h


def init_params(model, key):
    k = jax.random.split(key, 4)
    if model == "mlp":
        return {"dense_1": dense_init(k[0], W, 100), "dense_2": dense_init(k[1], 100, 100),
                "dense_3": dense_init(k[2], 100, 1)}
    if model == "rnn":
        return {"simple_rnn": recurrent_init(k[0], 1, 100, 1, jnp.zeros(100)),
                "dense": dense_init(k[1], 100, 1)}
    if model == "gru":
        return {"gru": recurrent_init(k[0], 1, 100, 3, jnp.zeros((2, 300))),
                "dense": dense_init(k[1], 100, 1)}
    if model == "lstm":
        return {"lstm": lstm_init(k[0], 1, 200), "dense_1": dense_init(k[1], 200, 100),
                "dense_2": dense_init(k[2], 100, 1)}
    convs = {"conv1d_1": conv_init(k[0], 1, 100), "conv1d_2": conv_init(k[1], 100, 100)}
    if model == "cnn":
        return {**convs, "dense": dense_init(k[2], CONV_FEATURES, 1)}
    if model == "cnn-lstm":
        return {**convs, "lstm": lstm_init(k[2], CONV_FEATURES, 100),
                "dense": dense_init(k[3], 100, 1)}
    raise ValueError(model)


def forward(model, p, x):
    if model == "mlp":
        h = jax.nn.relu(dense(p["dense_1"], x))
        return dense(p["dense_3"], jax.nn.relu(dense(p["dense_2"], h)))[:, 0]
    if model == "cnn":
        return dense(p["dense"], conv_block(p, x))[:, 0]
    if model == "rnn":
        return dense(p["dense"], simple_rnn(p["simple_rnn"], x[..., None]))[:, 0]
    if model == "gru":
        return dense(p["dense"], gru(p["gru"], x[..., None]))[:, 0]
    if model == "lstm":
        h = lstm(p["lstm"], x[..., None], jax.nn.sigmoid)
        return dense(p["dense_2"], dense(p["dense_1"], h))[:, 0]
    if model == "cnn-lstm":  # [B, 8] -> 2 subsequences of 4, oldest first
        b = x.shape[0]
        features = conv_block(p, x.reshape(b * common.SUBSEQ, W)).reshape(b, common.SUBSEQ, -1)
        return dense(p["dense"], lstm(p["lstm"], features, jax.nn.relu))[:, 0]
    raise ValueError(model)


# ---- all nodes: parameters [G, ...], one jitted epoch ----------------------------------------
class Compiled:
    """The jitted functions of one model, built once per process so that repetitions (and
    further train() calls with the same shapes) reuse XLA's compiled code."""

    def __init__(self, model):
        # optax puts eps on sqrt(v_hat) as PyTorch does; Keras on the uncorrected sqrt(v): the
        # same update up to a factor sqrt(1 - b2^t) on eps = 1e-7.
        adam = optax.adam(learning_rate=common.LEARNING_RATE, b1=0.9, b2=0.999,
                          eps=common.EPSILON)

        def node_loss(p, xb, yb, wb):  # the batch mean over the node's real samples
            return jnp.sum(wb * (forward(model, p, xb) - yb) ** 2) / jnp.maximum(wb.sum(), 1.0)

        def node_step(p, s, x, y, w, idx):
            """One minibatch of one node; vmapped, so each node's gradient and Adam update
            (with its own step count) are its own."""
            wb = w[idx]
            loss, grads = jax.value_and_grad(node_loss)(p, x[idx], y[idx], wb)
            updates, s_new = adam.update(grads, s, p)
            p_new = optax.apply_updates(p, updates)
            # A batch with no real sample (the node ran out) is no Adam step at all.
            active = wb.sum() > 0

            def keep(new, old):
                return jnp.where(active, new, old)
            return (jax.tree.map(keep, p_new, p), jax.tree.map(keep, s_new, s),
                    loss * wb.sum())

        step = jax.vmap(node_step)

        def init(keys):
            params = jax.vmap(lambda k: init_params(model, k))(keys)
            return params, jax.vmap(adam.init)(params)

        def epoch(params, state, keys, e, x, y, w):
            """keys [G]: each node's shuffle key; x [G, M, L], y/w [G, M] with M a multiple of
            the batch, w = 1 for real samples. Returns the new parameters and state and each
            node's epoch loss (sample-weighted mean of its batch losses, as Keras reports)."""
            g, m = w.shape
            u = jax.vmap(lambda k: jax.random.uniform(jax.random.fold_in(k, e), (m,)))(keys)
            # Each node shuffles its own samples; padding slots sort last, so every batch but
            # the node's last partial one is full and later batches are empty for it.
            order = jnp.argsort(jnp.where(w > 0, u, 2.0), axis=1)
            batches = order.reshape(g, m // common.BATCH, common.BATCH).transpose(1, 0, 2)

            def body(carry, idx):
                p, s, total = carry
                p, s, loss = step(p, s, x, y, w, idx)
                return (p, s, total + loss), None

            (params, state, total), _ = jax.lax.scan(body, (params, state, jnp.zeros(g)),
                                                     batches)
            return params, state, total / jnp.maximum(w.sum(axis=1), 1.0)

        self.init = jax.jit(init)
        self.epoch = jax.jit(epoch, donate_argnums=(0, 1))
        self.predict = jax.jit(jax.vmap(lambda p, x: forward(model, p, x)))


class Trainer:
    def __init__(self, seed, device, chunk):
        self.name = f"jax-vmap-{device}"
        self.key = jax.random.key(seed)
        self.chunk = chunk
        self.compiled = {}
        self.last_loss = None  # [node, epoch] losses of the last train(), for checks

    def train(self, model, tec, nodes, epochs, predicted):
        length = common.input_length(model)
        wins = common.trainable_windows(model, tec, nodes)
        if not wins:
            return 0
        if model not in self.compiled:
            self.compiled[model] = Compiled(model)
        fn = self.compiled[model]
        counts = [win.y_train.size for _, win in wins]
        m = -(-max(counts) // common.BATCH) * common.BATCH  # slots per node: whole batches
        x = jnp.asarray(common.padded([win.x_train for _, win in wins], m, (length,)))
        y = jnp.asarray(common.padded([win.y_train for _, win in wins], m))
        real = jnp.asarray(common.padded([np.ones(c, np.float32) for c in counts], m))
        # Node n's weights and batch order depend only on (seed, model, node).
        base = jax.random.fold_in(self.key, common.MODELS.index(model))
        node_keys = jax.vmap(lambda n: jax.random.split(jax.random.fold_in(base, n)))(
            jnp.asarray([n for n, _ in wins]))
        params, state = fn.init(node_keys[:, 0])
        losses = []
        for e in range(epochs):  # asynchronous dispatch: no wait between epochs
            params, state, loss = fn.epoch(params, state, node_keys[:, 1], e, x, y, real)
            losses.append(loss)
        self.last_loss = np.asarray(jnp.stack(losses, axis=1)) if losses else None
        # Predict every usable target in fixed-size chunks (one compiled shape, bounded memory);
        # np.asarray waits for the device, so the timing includes all the work.
        n_all = max(win.t_all.size for _, win in wins)
        chunk = min(self.chunk, n_all)
        x_all = common.padded([win.x_all for _, win in wins], -(-n_all // chunk) * chunk, (length,))
        pred = np.concatenate([np.asarray(fn.predict(params, jnp.asarray(x_all[:, s:s + chunk])))
                               for s in range(0, x_all.shape[1], chunk)], axis=1)
        for i, (n, win) in enumerate(wins):
            win.denormalise_into(predicted[n], pred[i, :win.t_all.size])
        return int(sum(counts))


def setup(args):
    global jax, jnp, optax
    if args.device == "cpu" and args.threads > 0:
        _limit_cpu_threads(args.threads)
    os.environ["JAX_PLATFORMS"] = "cuda" if args.device == "gpu" else "cpu"
    # Several worker processes may share one GPU: allocate as needed, not 75 % each.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax as jax_module
    import jax.numpy as jnp_module
    import optax as optax_module
    jax, jnp, optax = jax_module, jnp_module, optax_module
    # Random bits per element (JAX's default now): the first n draws of a shape-(m,) uniform do
    # not depend on m, so a node's batch order does not depend on the other nodes' padding.
    jax.config.update("jax_threefry_partitionable", True)
    jnp.ones(4).sum().block_until_ready()  # runtime start-up, not charged to the first model
    print(f"jax {jax.__version__}, optax {optax.__version__}, {jax.devices()[0].device_kind}"
          + (f", CPUs {sorted(os.sched_getaffinity(0))}" if args.device == "cpu" else ""),
          flush=True)
    return Trainer(args.seed, args.device, args.chunk)


if __name__ == "__main__":
    common.run_peer("jax_peer", __doc__)
