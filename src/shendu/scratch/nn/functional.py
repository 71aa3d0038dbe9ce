"""`shendu.scratch.nn.functional`: torch.nn.functional's names for the scratch engine.

An alias of `shendu.scratch.functional` (where every function is defined), so code written
against torch ports line for line:

    import shendu.scratch.nn.functional as F     # was: import torch.nn.functional as F
    loss = F.cross_entropy(F.relu(model(x)), y, label_smoothing=0.1)
"""

from ..functional import *  # noqa: F403  (the whole public surface, by design)
from ..functional import __all__  # noqa: F401
