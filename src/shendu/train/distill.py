"""Knowledge distillation: the documents' ``DistillationLoss``, training examples that carry
their teacher's logits, and the LightningModule that trains a student against them.

The loss is the source documents' own (their "知识蒸馏" snippet, ``DistillationLoss(temperature=4.0,
alpha=0.7)``), after Hinton, Vinyals and Dean, *Distilling the Knowledge in a Neural Network*
(2015). The teacher's logits reach the loss one of two ways:

- computed once, before training, travelling with each training example
  (:class:`TeacherLogitsDataset`): training never runs the teacher;
- computed on every training batch, on exactly the (augmented) inputs the student sees
  (:class:`LiveTeacherDataset`): "consistent teaching" (Beyer et al., *Knowledge distillation:
  A good teacher is patient and consistent*, CVPR 2022), which costs a teacher forward pass
  per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset, default_collate

from shendu.train.members import MemberEnsembleModule
from shendu.train.module import SupervisedModule

__all__ = ["DistillationLoss", "DistillationModule", "LiveTeacherDataset", "TeacherLogitsDataset", "WithTeacher",
           "compute_teacher_logits"]


class DistillationLoss(nn.Module):
    """``alpha * KL(softmax(teacher / T) || softmax(student / T)) * T**2 + (1 - alpha) * CE(student, labels)``.

    Exactly the documents' ``DistillationLoss``: ``alpha`` weights the distillation term (the
    documents' ``total_loss = self.alpha * distillation_loss + (1 - self.alpha) * student_loss``),
    the KL divergence is ``nn.KLDivLoss(reduction="batchmean")`` of ``log_softmax(student / T)``
    against ``softmax(teacher / T)`` (summed over classes, averaged over the batch: the true KL
    per example, as torch recommends), and it is multiplied by ``T**2`` so that its gradients keep
    their size whatever the temperature (Hinton et al. 2015, section 2). ``alpha=0`` is plain
    cross-entropy; ``alpha=1`` learns from the teacher alone.

    The hard-label term is the student's own task loss: ``label_smoothing`` is the smoothing its
    recipe trains with (0, the documents' plain cross-entropy, by default), so ``alpha=0`` trains
    exactly as the student trained without the teacher does.

    Args:
        temperature: ``T > 0``; higher spreads the teacher's probabilities over more classes.
        alpha: the weight of the distillation term, in ``[0, 1]``.
        label_smoothing: the hard-label cross-entropy's label smoothing, in ``[0, 1]``.

    Shapes: ``student_logits`` and ``teacher_logits`` ``(N, C)``, ``labels`` ``(N,)`` class ids;
    returns a scalar.
    """

    def __init__(self, temperature: float = 4.0, alpha: float = 0.7, label_smoothing: float = 0.0) -> None:
        super().__init__()
        if not temperature > 0:
            raise ValueError(f"temperature must be positive; got {temperature}.")
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be in [0, 1]; got {alpha}.")
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing}.")
        self.temperature = temperature
        self.alpha = alpha
        self.label_smoothing = label_smoothing
        self.kl_div = nn.KLDivLoss(reduction="batchmean")

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # in float32 whatever the autocast: CPU autocast runs (log_)softmax in bfloat16, which would
        # round the soft term's gradient T (q - p) where q and p agree to a few digits (torch's own
        # autocast lists run cross_entropy and kl_div in float32 for the same reason)
        dtype = torch.promote_types(student_logits.dtype, torch.float32)  # float64 stays float64
        with torch.autocast(student_logits.device.type, enabled=False):
            return self._loss(student_logits.to(dtype), teacher_logits.to(dtype), labels)

    def _loss(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        soft_targets = F.softmax(teacher_logits / self.temperature, dim=1)
        soft_predictions = F.log_softmax(student_logits / self.temperature, dim=1)
        distillation_loss = self.kl_div(soft_predictions, soft_targets) * self.temperature**2
        return self.alpha * distillation_loss + (1 - self.alpha) * self.hard_loss(student_logits, labels)

    def hard_loss(self, student_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The hard-label term alone: the student's own task loss (cross-entropy with the recipe's
        label smoothing), what the same student trained without the teacher minimises."""
        return F.cross_entropy(student_logits, labels, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}, alpha={self.alpha}, label_smoothing={self.label_smoothing}"


class WithTeacher(NamedTuple):
    """A training input and its teacher's logits (a batch of them after collation)."""

    inputs: Any
    teacher_logits: torch.Tensor


class TeacherLogitsDataset(Dataset):
    """``dataset`` whose example ``i`` is ``(WithTeacher(input_i, logits[i]), label_i)``.

    Batching goes through ``dataset``'s own ``collate_fn`` (padded texts) when it has one, and
    its ``lengths`` stay visible, so text batches are still grouped by length.

    Args:
        dataset: the student's training split, yielding ``(input, label)``.
        logits: the teacher's logits ``(len(dataset), C)``, in the same order.
    """

    def __init__(self, dataset: Dataset, logits: torch.Tensor) -> None:
        if len(dataset) != len(logits):  # type: ignore[arg-type]
            raise ValueError(f"dataset and teacher logits differ in length: {len(dataset)} != {len(logits)}")  # type: ignore[arg-type]
        self.dataset = dataset
        self.logits = logits
        self.inner_collate: Callable[[list[Any]], Any] = getattr(dataset, "collate_fn", None) or default_collate
        if hasattr(dataset, "lengths"):
            self.lengths = dataset.lengths

    def __len__(self) -> int:
        return len(self.logits)

    def __getitem__(self, index: int) -> tuple[WithTeacher, Any]:
        inputs, label = self.dataset[index]
        return WithTeacher(inputs, self.logits[index]), label

    def collate_fn(self, batch: list[tuple[Any, Any]]) -> tuple[Any, Any]:
        """Batches of this dataset, and of the plain ``(input, label)`` validation split too
        (training's loaders share the training split's ``collate_fn``)."""
        if not isinstance(batch[0][0], WithTeacher):
            return self.inner_collate(batch)
        inputs, labels = self.inner_collate([(item.inputs, label) for item, label in batch])
        return WithTeacher(inputs, torch.stack([item.teacher_logits for item, _ in batch])), labels


class ForTeacher(NamedTuple):
    """A training input that the teacher reads when its batch is collated."""

    inputs: Any


class LiveTeacherDataset(Dataset):
    """``dataset`` whose training batches carry ``teacher``'s logits on exactly the inputs of the
    batch, augmentation included, computed when the batch is collated (``torch.no_grad``, the
    teacher in eval mode, on the CPU), so augmented images are taught with their own soft targets.

    The teacher is not part of the student's module tree: it is neither trained nor saved. Its
    forward pass draws no random numbers, so the student still sees the same images, in the same
    order, as the baseline trained without it.

    Args:
        dataset: the student's training split, yielding ``(input, label)``.
        teacher: the teacher model; it must read the student's inputs as they are.
    """

    def __init__(self, dataset: Dataset, teacher: nn.Module) -> None:
        self.dataset = dataset
        self.teacher = teacher.cpu().eval()
        for parameter in self.teacher.parameters():
            parameter.requires_grad_(False)
        self.inner_collate: Callable[[list[Any]], Any] = getattr(dataset, "collate_fn", None) or default_collate
        if hasattr(dataset, "lengths"):
            self.lengths = dataset.lengths
        if hasattr(dataset, "labels"):
            self.labels = dataset.labels

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[ForTeacher, Any]:
        inputs, label = self.dataset[index]
        return ForTeacher(inputs), label

    def collate_fn(self, batch: list[tuple[Any, Any]]) -> tuple[Any, Any]:
        """Training batches as :class:`WithTeacher`; plain ``(input, label)`` batches (validation,
        test) as the inner dataset collates them."""
        if not isinstance(batch[0][0], ForTeacher):
            return self.inner_collate(batch)
        inputs, labels = self.inner_collate([(item.inputs, label) for item, label in batch])
        with torch.no_grad():
            logits = self.teacher(inputs).float()
        return WithTeacher(inputs, logits), labels


class DistillationModule(SupervisedModule):
    """Train a student with ``loss_fn`` (a :class:`DistillationLoss`) on training batches that
    carry the teacher's logits (:class:`WithTeacher`); validation and test batches are plain
    ``(inputs, labels)`` and score the student alone with its task loss
    (:meth:`DistillationLoss.hard_loss`, label smoothing included), the same ``val_loss`` a
    student trained without a teacher logs (so checkpoints, ``restore_best`` and early stopping
    compare like with like)."""

    def predictions_and_loss(self, inputs: Any, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(inputs, WithTeacher):
            predictions = self.model(inputs.inputs)
            return predictions, self.loss_fn(predictions, inputs.teacher_logits, targets)
        predictions = self.model(inputs)
        return predictions, self.loss_fn.hard_loss(predictions, targets)


class MemberDistillationModule(MemberEnsembleModule):
    """An ensemble whose members train apart (:mod:`shendu.train.members`), each member
    distilled on its own: each minimises ``loss_fn`` (a :class:`DistillationLoss`) of its own
    logits against the teacher's, and keeps its own best-validation epoch; validation scores
    the members and the ensemble with the task loss alone, as for the student trained without
    the teacher."""

    def scoring_loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.loss_fn.hard_loss(logits, targets)

    def predictions_and_loss(self, inputs: Any, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(inputs, WithTeacher):
            return super().predictions_and_loss(inputs, targets)
        members = self.model.member_logits(inputs.inputs)  # (B, M, C)
        losses = [self.loss_fn(members[:, k], inputs.teacher_logits, targets) for k in range(members.shape[1])]
        return self.model.combine(members), torch.stack(losses).mean()


@torch.no_grad()
def compute_teacher_logits(model: nn.Module, dataset: Dataset, batch_size: int = 256,
                           device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``model`` (in eval mode: no dropout) over ``dataset`` in order.

    Returns:
        The logits ``(N, C)`` (float32, on the CPU) and the labels ``(N,)`` the dataset gave.
    """
    from torch.utils.data import DataLoader

    model = model.to(device).eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=getattr(dataset, "collate_fn", None))
    logits, labels = [], []
    with torch.no_grad():  # no autograd graph: less time and a fraction of the memory
        for inputs, targets in loader:
            logits.append(model(inputs.to(device)).float().cpu())
            labels.append(targets)
    return torch.cat(logits), torch.cat(labels)
