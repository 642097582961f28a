"""The paper's way: one Keras model per node and per Table-1 architecture, trained with
model.fit (Adam 1e-3, eps 1e-7, MSE, batch 32, shuffle). With --nodes N only N nodes run and
the time is extrapolated linearly to all nodes (printed as such).

  python keras_peer.py --cube cube.h5 --out keras.h5 --epochs 10 --nodes 4 --threads 2
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402


def build(model, keras):
    L = keras.layers
    w = common.WINDOW
    if model == "mlp":
        layers = [keras.Input((w,)), L.Dense(100, activation="relu"),
                  L.Dense(100, activation="relu"), L.Dense(1)]
    elif model == "cnn":
        layers = [keras.Input((w, 1)), L.Conv1D(100, 2, activation="relu"),
                  L.Conv1D(100, 2, activation="relu"), L.MaxPooling1D(2), L.Flatten(),
                  L.Dense(1)]
    elif model == "rnn":
        layers = [keras.Input((w, 1)), L.SimpleRNN(100), L.Dense(1)]
    elif model == "gru":
        layers = [keras.Input((w, 1)), L.GRU(100, reset_after=True), L.Dense(1)]
    elif model == "lstm":
        layers = [keras.Input((w, 1)), L.LSTM(200, activation="sigmoid"), L.Dense(100),
                  L.Dense(1)]
    elif model == "cnn-lstm":
        td = L.TimeDistributed
        layers = [keras.Input((common.SUBSEQ, w, 1)),
                  td(L.Conv1D(100, 2, activation="relu")),
                  td(L.Conv1D(100, 2, activation="relu")), td(L.MaxPooling1D(2)),
                  td(L.Flatten()), L.LSTM(100, activation="relu"), L.Dense(1)]
    else:
        raise ValueError(model)
    net = keras.Sequential(layers)
    net.compile(optimizer=keras.optimizers.Adam(learning_rate=common.LEARNING_RATE,
                                                epsilon=common.EPSILON), loss="mse")
    return net


def shape_inputs(model, x):
    if model == "mlp":
        return x
    if model == "cnn-lstm":  # 8 values -> 2 subsequences of 4, oldest first
        return x.reshape(-1, common.SUBSEQ, common.WINDOW, 1)
    return x[..., None]


def main():
    args = common.parse_common(argparse.ArgumentParser(description=__doc__)).parse_args()
    import tensorflow as tf
    tf.get_logger().setLevel("ERROR")  # per-node models retrace by design: that is the cost
    if args.threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras
    keras.utils.set_random_seed(args.seed)
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}", flush=True)

    tec, _ = common.read_cube(args.cube)
    nodes = common.pick_nodes(tec.shape[0], args.nodes)
    results = common.Results(tec, nodes, "keras", args.epochs)
    models = args.models.split(",")
    # Untimed warm-up, as for PyTorch: TensorFlow's one-time start-up (thread pools, oneDNN,
    # first tracing) is not a per-node cost. Building and tracing each node's model is, and is
    # timed.
    for model in models:
        win = common.NodeWindows(tec[nodes[0]], common.input_length(model))
        if win.y_train.size:
            build(model, keras).fit(shape_inputs(model, win.x_train), win.y_train,
                                    batch_size=common.BATCH, epochs=1, verbose=0)
    for model in models:
        predicted = np.full(tec.shape, np.nan, np.float32)
        samples = 0
        with common.Stopwatch() as watch:
            for n in nodes:
                win = common.NodeWindows(tec[n], common.input_length(model))
                if win.y_train.size == 0:
                    continue
                keras.backend.clear_session()
                net = build(model, keras)
                net.fit(shape_inputs(model, win.x_train), win.y_train, batch_size=common.BATCH,
                        epochs=args.epochs, shuffle=True, verbose=0)
                pred = net.predict(shape_inputs(model, win.x_all), batch_size=1024, verbose=0)
                win.denormalise_into(predicted[n], pred)
                samples += win.y_train.size
        results.add(model, predicted, watch.seconds, samples)
        results.write(args.out)  # after every model: a time-boxed run keeps what it finished


if __name__ == "__main__":
    main()
