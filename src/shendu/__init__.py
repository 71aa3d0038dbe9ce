"""shendu (深度): a deep learning toolkit, from a hand-written neuron to served models."""

__version__ = "0.1.0"
