"""The task-kind registry: model.json's ``task`` -> its :class:`TaskKind`. This is the only
place a kind is looked up by name; everything else calls the kind it is handed."""

from __future__ import annotations

from shendu.errors import RunFolderError
from shendu.predict.kinds.base import TaskKind
from shendu.predict.kinds.classification import IMAGE_CLASSIFICATION, VECTOR_CLASSIFICATION
from shendu.predict.kinds.detection import OBJECT_DETECTION
from shendu.predict.kinds.forecast import TIME_SERIES_FORECASTING
from shendu.predict.kinds.multimodal import MULTIMODAL_CLASSIFICATION
from shendu.predict.kinds.speech import SPEECH_RECOGNITION
from shendu.predict.kinds.text import TEXT_CLASSIFICATION

TASK_KINDS: dict[str, TaskKind] = {k.task: k for k in (
    IMAGE_CLASSIFICATION, VECTOR_CLASSIFICATION, TEXT_CLASSIFICATION, OBJECT_DETECTION, TIME_SERIES_FORECASTING,
    SPEECH_RECOGNITION, MULTIMODAL_CLASSIFICATION)}


def get_task_kind(task: str, input_kind: str | None = None) -> TaskKind:
    """The kind of model.json's ``task``; ``input_kind`` (the input spec's kind) must be the one
    that kind reads.

    Raises:
        RunFolderError: an unknown task, or an input spec of another kind.
    """
    if task not in TASK_KINDS:
        raise RunFolderError(f"model.json has task {task!r}; this shendu knows {', '.join(TASK_KINDS)}. "
                             "Use the shendu version that trained the run.")
    kind = TASK_KINDS[task]
    if input_kind is not None and input_kind != kind.input_kind:
        raise RunFolderError(f"model.json has task {task!r}, which reads {kind.input_kind} inputs, but its `input` "
                             f"is of kind {input_kind!r}. Restore model.json or train again.")
    return kind


__all__ = ["TASK_KINDS", "TaskKind", "get_task_kind"]
