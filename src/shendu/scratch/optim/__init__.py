"""`torch.optim` for the scratch engine, in order of increasing complexity."""

from ..nn.utils import l1_penalty, l2_penalty
from . import lr_scheduler
from .adadelta import Adadelta
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "RMSprop", "Adadelta", "Adam", "AdamW", "Optimizer", "l1_penalty", "l2_penalty", "lr_scheduler"]
