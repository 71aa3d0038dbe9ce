"""The documents' MultiModalModel (text encoder + image encoder + fusion MLP), and a module that
trains it side by side with an image-only and a text-only model for a fair comparison."""

from __future__ import annotations

import torch
from torch import nn

BRANCHES = ("fused", "image", "text")


class MultiModalModel(nn.Module):
    """As in the documents: each modality's feature vector -> Linear + ReLU + Dropout(0.2);
    the two codes concatenated -> Linear + ReLU + Dropout(0.3) -> Linear."""

    def __init__(self, text_dim: int, image_dim: int, hidden_dim: int, output_dim: int) -> None:
        super().__init__()
        self.text_encoder = nn.Sequential(nn.Linear(text_dim, hidden_dim), nn.ReLU(), nn.Dropout(0.2))
        self.image_encoder = nn.Sequential(nn.Linear(image_dim, hidden_dim), nn.ReLU(), nn.Dropout(0.2))
        self.fusion = nn.Sequential(nn.Linear(hidden_dim * 2, hidden_dim), nn.ReLU(), nn.Dropout(0.3),
                                    nn.Linear(hidden_dim, output_dim))

    def forward(self, text_features: torch.Tensor, image_features: torch.Tensor) -> torch.Tensor:
        fused = torch.cat([self.text_encoder(text_features), self.image_encoder(image_features)], dim=1)
        return self.fusion(fused)


class SingleModalModel(nn.Module):
    """One modality with the same encoder and head shape as the fused model (Linear + ReLU +
    Dropout(0.2), then Linear + ReLU + Dropout(0.3) -> Linear)."""

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.ReLU(), nn.Dropout(0.2),
                                 nn.Linear(hidden_dim, hidden_dim), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(hidden_dim, output_dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class MultiModalComparison(nn.Module):
    """A fused MultiModalModel, an image-only and a text-only model, with no shared parameter.

    Input: one vector per example, ``[text features | image features]`` (``text_dim`` first).
    ``forward`` returns the fused model's logits (what evaluate and predict use);
    :meth:`branches` returns all three models' logits, and :func:`comparison_loss` sums their
    losses, which, with disjoint parameters, trains each model exactly as if it were trained
    alone on the same batches. ``branch(name)`` is a module whose forward is one model's logits.
    """

    def __init__(self, text_dim: int, image_dim: int, hidden_dim: int = 128, num_classes: int = 10) -> None:
        super().__init__()
        self.text_dim = text_dim
        self.fused = MultiModalModel(text_dim, image_dim, hidden_dim, num_classes)
        self.image = SingleModalModel(image_dim, hidden_dim, num_classes)
        self.text = SingleModalModel(text_dim, hidden_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(x, "fused")

    def logits(self, x: torch.Tensor, name: str) -> torch.Tensor:
        """One model's logits: ``fused``, ``image`` (the image part of ``x`` only) or ``text``."""
        text, image = x[:, : self.text_dim], x[:, self.text_dim :]
        if name == "fused":
            return self.fused(text, image)
        return self.image(image) if name == "image" else self.text(text)

    def branches(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every model's logits for the same batch: ``{"fused": ..., "image": ..., "text": ...}``."""
        return {name: self.logits(x, name) for name in BRANCHES}

    def branch(self, name: str) -> nn.Module:
        if name not in BRANCHES:
            raise ValueError(f"branch must be one of {', '.join(BRANCHES)}; got {name!r}")
        return _BranchView(self, name)


class _BranchView(nn.Module):
    def __init__(self, model: MultiModalComparison, name: str) -> None:
        super().__init__()
        self.model, self.name = model, name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.logits(x, self.name)


def comparison_loss(branches: dict[str, torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the fused logits plus that of the two single-modality models."""
    return sum((nn.functional.cross_entropy(branches[name], targets) for name in BRANCHES),
               start=torch.zeros((), device=targets.device))


def multimodal_comparison(text_dim: int, image_dim: int, hidden_dim: int = 128,
                          num_classes: int = 10) -> MultiModalComparison:
    return MultiModalComparison(text_dim, image_dim, hidden_dim, num_classes)
