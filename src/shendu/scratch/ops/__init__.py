"""Differentiable ops: one class per op (forward + backward on numpy arrays) and a function."""
