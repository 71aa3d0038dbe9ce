"""Grad mode and the reverse-mode backward pass.

`backward(root, grad)` walks the graph that `Function.__call__` recorded, newest node first,
hands each node the gradient of its output and accumulates what it returns into its inputs.
"""

from __future__ import annotations

import functools

import numpy as np

_grad_enabled = True  # read by Function.__call__ on every op; a module global is the cheapest lookup


def is_grad_enabled() -> bool:
    """Return whether new ops record the graph (False inside `no_grad`)."""
    return _grad_enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns graph recording on or off.

    Args:
        mode: True records ops for backward, False does not.
    """

    def __init__(self, mode: bool):
        self.mode = mode
        self.prev = _grad_enabled

    def __enter__(self):
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        global _grad_enabled
        _grad_enabled = self.prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Disable graph recording, like `torch.no_grad()`: ops inside return tensors without grad."""

    def __init__(self):
        super().__init__(False)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(set_grad_enabled):
    """Re-enable graph recording inside a `no_grad` block."""

    def __init__(self):
        super().__init__(True)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with enable_grad():
                return fn(*args, **kwargs)

        return wrapper


class IndexedGrad:
    """A gradient that is zero except at `index`, where it equals `values`.

    Slicing ops return this instead of a full-size array so that T slices of one tensor
    (an RNN reading its input step by step) cost O(T) in backward, not O(T^2): the engine
    adds every slice's values in place into one buffer. `basic`, when given, is a basic
    (view-making) numpy index applied before `index` (torch's indexing in two steps).
    """

    __slots__ = ("shape", "dtype", "index", "values", "advanced", "basic")

    def __init__(self, shape, dtype, index, values, advanced: bool, basic=None):
        self.shape, self.dtype, self.index = shape, dtype, index
        self.values, self.advanced, self.basic = values, advanced, basic

    def add_into(self, buffer: np.ndarray) -> np.ndarray:
        target = buffer if self.basic is None else buffer[self.basic]  # a view of buffer
        # Integer-array indices may repeat, and only np.add.at sums repeated positions.
        if self.advanced:
            if np.size(self.values):  # an empty result may hold indices torch never checked
                np.add.at(target, self.index, self.values)
        else:
            target[self.index] += self.values
        return buffer


def _accumulate(grads: dict, owned: set, key: int, grad) -> None:
    """Add `grad` into `grads[key]`, in place when the buffer is ours to write."""
    prev = grads.get(key)
    if grad.__class__ is IndexedGrad:
        if prev is None:
            prev = np.zeros(grad.shape, grad.dtype)
        elif key not in owned:
            prev = np.array(prev, dtype=grad.dtype)  # copy: the array may be shared with another node
        owned.add(key)
        grads[key] = grad.add_into(prev)
    elif prev is None:
        grads[key] = grad
    elif key in owned:
        prev += grad
        grads[key] = prev  # rebinding matters for 0-d results, which numpy returns as scalars
    else:
        grads[key] = prev + grad
        owned.add(key)


def _topological_order(root) -> list:
    """Nodes (tensors made by an op) reachable from `root`, inputs before outputs."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:  # iterative DFS: an RNN over long sequences would overflow Python's recursion
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._ctx.inputs:
            if parent._ctx is not None and id(parent) not in visited:
                stack.append((parent, False))
    return order


class _FreedOp:
    """Stands in for an op after backward released what it saved (torch's retain_graph=False)."""

    __slots__ = ()
    inputs = ()

    def backward(self, grad):
        raise RuntimeError(
            "Trying to backward through the graph a second time (or directly access saved tensors "
            "after they have already been freed). Saved intermediate values of the graph are freed "
            "when you call .backward(). Specify retain_graph=True if you need to backward through "
            "the graph a second time."
        )


FREED = _FreedOp()


def backward(root, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) * grad into `.grad` of every leaf that requires grad.

    Args:
        root: the tensor to differentiate; it must have been made by an op.
        grad: the gradient of some scalar with respect to `root`, same shape as `root`.
        retain_graph: keep each op's saved arrays; otherwise they are released as soon as its
            backward has run (memory, and buffers that the next step can reuse), as in torch.
    """
    from .tensor import Tensor  # deferred: tensor.py imports this module

    grads, owned, leaves = {id(root): grad}, set(), {}
    for node in reversed(_topological_order(root)):
        out_grad = grads.pop(id(node), None)
        if out_grad is None:
            continue
        ctx = node._ctx
        for tensor, in_grad in zip(ctx.inputs, ctx.backward(out_grad), strict=True):
            if in_grad is None or not tensor.requires_grad:
                continue
            _accumulate(grads, owned, id(tensor), in_grad)
            if tensor._ctx is None:
                leaves[id(tensor)] = tensor
        if not retain_graph:
            node._ctx = FREED
    for key, leaf in leaves.items():
        g = grads[key]
        if g.dtype != leaf.data.dtype:
            g = g.astype(leaf.data.dtype)
        if not isinstance(g, np.ndarray):
            g = np.asarray(g)  # numpy returns 0-d results as scalars
        elif not g.flags.c_contiguous:
            g = g.copy()  # broadcast views from reductions would surprise users
        leaf.grad = Tensor(g) if leaf.grad is None else Tensor(leaf.grad.data + g)
