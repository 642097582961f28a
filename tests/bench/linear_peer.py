"""A peer for testing the benchmark harness (bench/peers/common.py run_peer, compare.py) where
no deep-learning framework is installed: per node, a least-squares linear predictor of the
next value from the window (numpy only). It follows the peer interface exactly: add_arguments,
setup(args) -> object with .name and .train(model, tec, nodes, epochs, predicted).

  python3 linear_peer.py --cube cube.h5 --out linear.h5 --workers 2 --threads 1 --nodes 4
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench", "peers"))

import numpy as np  # noqa: E402

import common  # noqa: E402


def add_arguments(parser):
    parser.add_argument("--ridge", type=float, default=1e-6)


class Trainer:
    def __init__(self, args):
        self.ridge = args.ridge
        self.name = "linear-numpy"

    def train(self, model, tec, nodes, epochs, predicted):
        def fit_predict(win):
            x = np.hstack([win.x_train, np.ones((win.y_train.size, 1), np.float32)])
            for _ in range(epochs):  # the work grows with the epochs, as for the real peers
                a = x.T @ x + self.ridge * np.eye(x.shape[1])
                w = np.linalg.solve(a, x.T @ win.y_train)
            return np.hstack([win.x_all, np.ones((win.x_all.shape[0], 1), np.float32)]) @ w
        return common.train_per_node(model, tec, nodes, predicted, fit_predict)


def setup(args):
    np.random.seed(args.seed)
    return Trainer(args)


if __name__ == "__main__":
    common.run_peer("linear_peer", __doc__)
