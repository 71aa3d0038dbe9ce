"""The Optimizer base class: parameter groups, per-parameter state, zero_grad, state_dict."""

from __future__ import annotations

import copy

import numpy as np

from ..tensor import Tensor


class Optimizer:
    """Holds `param_groups` (dicts with "params" and hyper-parameters) and per-parameter `state`.

    Subclasses implement `_update(group)`, which reads `p.grad.data` and writes `p.data` in
    place (so modules, optimizers and state dicts all keep pointing at the same arrays).
    `_update` reads every hyper-parameter (lr, momentum, betas, ...) from the group at each
    step, so a scheduler that writes a group (OneCycleLR's lr and momentum) takes effect.

    Args:
        params: an iterable of Tensors, or of dicts {"params": [...], <option>: value}.
        defaults: hyper-parameters used where a group does not set them.

    Raises:
        ValueError: an empty parameter list.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list = []
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else Tensor(np.zeros_like(p.grad.data))

    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient; return closure() if given."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            self._update(group)
        return loss

    def _update(self, group: dict) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """{"state": {index: {name: array}}, "param_groups": [{..., "params": [index, ...]}]}, as torch."""
        index, groups = {}, []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self._param_states()}
        return {"state": state, "param_groups": groups}

    def _param_states(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    yield p, self.state[p]

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and per-parameter state saved by `state_dict`.

        Raises:
            ValueError: the group count or group sizes differ from this optimizer's.
        """
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        params = [p for g in self.param_groups for p in g["params"]]
        saved = [i for g in groups for i in g["params"]]
        if len(params) != len(saved) or any(
            len(a["params"]) != len(b["params"]) for a, b in zip(self.param_groups, groups, strict=True)
        ):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        by_index = dict(zip(saved, params, strict=True))
        self.state = {by_index[int(i)]: copy.deepcopy(s) for i, s in state_dict["state"].items()}
        for group, saved_group in zip(self.param_groups, groups, strict=True):
            group.update({k: v for k, v in saved_group.items() if k != "params"})

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def check_non_negative(name: str, value: float) -> None:
    """Raise torch's ValueError for a negative hyper-parameter."""
    if value < 0.0:
        raise ValueError(f"Invalid {name}: {value}")
