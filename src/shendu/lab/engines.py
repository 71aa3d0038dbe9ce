"""The two engines behind one small interface, so an experiment's training code is written once.

``shendu.scratch`` has torch's names (``nn.Linear``, ``optim.Adam``, ``functional.cross_entropy``),
so most code only needs the module objects; what differs (making a tensor from NumPy, reading
one back, where ``functional`` lives) is here. Weights are made in NumPy from the seed and
loaded into either engine, so both start from the same numbers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu")


@dataclass(frozen=True)
class Engine:
    """``torch`` or ``shendu.scratch`` with the pieces an experiment uses.

    Attributes:
        name: ``"torch"`` or ``"scratch"``.
        lib: the top module (``torch`` / ``shendu.scratch``): ``tanh``, ``no_grad``, ``manual_seed``...
        nn, optim, F: ``torch.nn``, ``torch.optim``, ``torch.nn.functional`` or their scratch twins.
    """

    name: str
    lib: ModuleType
    nn: ModuleType
    optim: ModuleType
    F: ModuleType

    def tensor(self, array: Any, requires_grad: bool = False) -> Any:
        """A tensor holding a copy of ``array`` (its dtype kept: float64 stays float64)."""
        array = np.array(array, copy=True)
        if self.name == "torch":
            return self.lib.from_numpy(array).requires_grad_(requires_grad)
        return self.lib.tensor(array, requires_grad=requires_grad)

    @staticmethod
    def numpy(tensor: Any) -> np.ndarray:
        """The values of ``tensor`` as an array (sharing memory where the engine allows)."""
        return tensor if isinstance(tensor, np.ndarray) else tensor.detach().numpy()

    def state(self, model: Any) -> dict[str, np.ndarray]:
        """``model.state_dict()`` as NumPy arrays (copies)."""
        return {name: np.array(self.numpy(value), copy=True) for name, value in model.state_dict().items()}

    def load(self, model: Any, state: dict[str, np.ndarray]) -> Any:
        """Load NumPy weights into ``model`` (strictly: every name must match)."""
        if self.name == "torch":
            model.load_state_dict({k: self.lib.from_numpy(np.array(v, copy=True)) for k, v in state.items()})
        else:
            model.load_state_dict({k: np.array(v, copy=True) for k, v in state.items()})
        return model

    def activation(self, name: str) -> Any:
        """The activation module called ``name`` (one of :data:`ACTIVATIONS`)."""
        layers = {"sigmoid": self.nn.Sigmoid, "tanh": self.nn.Tanh, "relu": self.nn.ReLU,
                  "leaky_relu": lambda: self.nn.LeakyReLU(0.01), "gelu": self.nn.GELU}
        return layers[name]()

    def mlp(self, sizes: Sequence[int], activation: str, dtype: str = "float32") -> Any:
        """``Linear -> activation -> ... -> Linear``: layers ``0, 2, 4, ...`` are the Linears."""
        layers: list[Any] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            if i:
                layers.append(self.activation(activation))
            layers.append(self.nn.Linear(fan_in, fan_out))
        model = self.nn.Sequential(*layers)
        return model.double() if dtype == "float64" else model

    def manual_seed(self, seed: int) -> None:
        self.lib.manual_seed(seed)


def get_engine(name: str) -> Engine:
    """The engine called ``name``: ``"torch"`` or ``"scratch"``."""
    if name == "torch":
        import torch

        return Engine("torch", torch, torch.nn, torch.optim, torch.nn.functional)
    if name == "scratch":
        from shendu import scratch

        return Engine("scratch", scratch, scratch.nn, scratch.optim, scratch.functional)
    raise ValueError(f"engine must be 'torch' or 'scratch'; got {name!r}")


def linear_init(rng: np.random.Generator, sizes: Sequence[int], dtype: str = "float32",
                first_index: int = 0, step: int = 2) -> dict[str, np.ndarray]:
    """Weights for :meth:`Engine.mlp` drawn as torch's ``nn.Linear`` draws them (U(-1/sqrt(fan_in),
    1/sqrt(fan_in)) for weight and bias), but from ``rng``: the same seed gives both engines the
    same start. Keys are the Sequential's: ``0.weight``, ``0.bias``, ``2.weight``..."""
    state = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        bound = 1.0 / np.sqrt(fan_in)
        index = first_index + step * i
        state[f"{index}.weight"] = rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(dtype)
        state[f"{index}.bias"] = rng.uniform(-bound, bound, size=(fan_out,)).astype(dtype)
    return state


@contextlib.contextmanager
def one_thread(engine: Engine) -> Iterator[None]:
    """Run on one thread, then restore the count: the lab's models are tiny, and on a
    shared 2-core machine two threads waiting for each other make them several times slower."""
    before = engine.lib.get_num_threads()
    engine.lib.set_num_threads(1)
    try:
        yield
    finally:
        engine.lib.set_num_threads(before)
