"""The lab's experiments by CLI name. Adding one: a module under shendu/lab/ and one line here."""

from __future__ import annotations

import difflib

from shendu.errors import ShenduError
from shendu.lab.base import ENGINES, Experiment

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment("backprop", "shendu.lab.backprop",
               "the documents' two-layer network with gradients derived by hand, checked against autograd, "
               "trained on XOR and digits"),
    Experiment("basics", "shendu.lab.basics",
               "linear regression on y = x and a noisy line by gradient descent (loss surface and path), "
               "the 10-5-1 network"),
    Experiment("activations", "shendu.lab.activations",
               "sigmoid, tanh, ReLU, leaky ReLU, GELU: derivatives, and the same network trained with each"),
    Experiment("optimizers", "shendu.lab.optimizers",
               "SGD, momentum (two forms), RMSProp, Adam, AdamW: same model, data and start; Rosenbrock and "
               "a saddle"),
    Experiment("rnn-vs-lstm", "shendu.lab.rnn_vs_lstm",
               "vanilla RNN, LSTM and GRU recalling a symbol across a growing distance; the gradient through time"),
    Experiment("regularization", "shendu.lab.regularization",
               "none, L1, L2, dropout, batch norm, augmentation, early stopping on 300 digits: the train-vs-test gap"),
    Experiment("init-and-depth", "shendu.lab.init_and_depth",
               "vanishing and exploding gradients by depth and initialisation; residual connections and batch norm"),
    Experiment("lr-schedules", "shendu.lab.lr_schedules",
               "constant, step, cosine, one-cycle and reduce-on-plateau learning rates on one model"),
    Experiment("batch-size", "shendu.lab.batch_size",
               "full batch, mini-batch and one-sample SGD: the loss per epoch, per update and per second"),
    Experiment("engines", "shendu.lab.engines_compare",
               "the same network trained by shendu.scratch and torch from the same start: weight drift, speed",
               engines=("torch",)),
)}


def get_experiment(name: str) -> Experiment:
    """Look an experiment up by its CLI name; an unknown name gets the list and a close match."""
    try:
        return EXPERIMENTS[name]
    except KeyError:
        close = difflib.get_close_matches(name, EXPERIMENTS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ShenduError(f"EXPERIMENT must be one of {', '.join(EXPERIMENTS)}; got {name!r}.{hint} "
                          "See `shendu lab list` for what each compares.") from None


def check_engine(experiment: Experiment, engine: str) -> None:
    """Refuse an engine the experiment cannot train on, saying which it can."""
    if engine not in ENGINES:
        raise ShenduError(f"--engine must be one of {', '.join(ENGINES)}; got {engine!r}.")
    if engine not in experiment.engines:
        raise ShenduError(f"`shendu lab {experiment.name}` runs on {' or '.join(experiment.engines)} only; got "
                          f"--engine {engine}. Leave --engine out, or pass --engine {experiment.engines[0]}.")
