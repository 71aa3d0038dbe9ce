"""`shendu explain`: calculators that show each step of the source documents' exercises.

One module per calculator, each returning a dataclass of numbers and filled-in formulas
(``to_dict()`` is what ``--json`` prints); :mod:`.render` draws them with rich:

- :mod:`.neuron`: z = w·x + b and its activation ((1,2,3)·(0.2,0.8,-0.5) + 2 = 2.3, sigmoid 0.9089)
- :mod:`.activations`: an activation's value and derivative at x, next to a finite difference
- :mod:`.conv`, :mod:`.pool`: output sizes and every window, checked against torch (:mod:`.torch_check`)
- :mod:`.params`: a recipe's model counted layer by layer, checked against ``sum(p.numel())``

Nothing here imports torch at import time.
"""
