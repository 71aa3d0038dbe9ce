"""`torch.nn` for the scratch engine: Module, layers, losses, init and utils."""

from . import init, utils
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .attention import MultiheadAttention
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .linear import Dropout, Embedding, Flatten, Identity, Linear
from .loss import BCELoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, ModuleList, Parameter, Sequential
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .recurrent import GRU, LSTM, RNN
from .transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = [
    "AvgPool2d", "BCELoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss", "Dropout",
    "Embedding", "Flatten", "GELU", "GRU", "Identity", "LSTM", "LayerNorm", "LeakyReLU", "Linear",
    "LogSoftmax", "MSELoss", "MaxPool2d", "Module", "ModuleList", "MultiheadAttention", "NLLLoss",
    "Parameter", "RNN", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "TransformerEncoder",
    "TransformerEncoderLayer", "init", "utils",
]
