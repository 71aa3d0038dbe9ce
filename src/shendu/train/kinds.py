"""Task kinds: what differs between classification, detection and forecasting, in one place.

Training, finishing a run, the report and ``shendu evaluate`` are the same for every task; a
:class:`Kind` supplies the parts that differ: the LightningModule, the test evaluation, the
pictures, the report's result rows and the history columns. ``model.json`` records the kind's
``task`` name, so evaluate, predict and serve know what a run folder holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torch import nn
from torch.utils.data import Dataset

if TYPE_CHECKING:
    import lightning as L

    from shendu.runfolder import RunFolder
    from shendu.train.task import TrainingTask

CONFUSION = "confusion.png"
MISCLASSIFIED = "misclassified.png"
DETECTIONS = "detections.png"
FORECAST_PLOT = "forecast.png"
TRANSCRIPTS = "transcripts.png"


@dataclass(frozen=True)
class Kind:
    """Args:
        name: ``TrainingTask.kind``.
        task: what model.json calls it.
        history_columns: the columns of history.csv (and of the report's epoch table).
        curve: ``(key, title)`` of the metric plotted beside the loss.
        make_module: ``(task, model, steps_per_epoch) -> LightningModule``.
        evaluate: ``(model, dataset, labels, progress=None) -> metrics``; keys not starting
            with ``test_`` are extras for the pictures and are not saved.
        pictures: ``(task, run, evaluation) -> file names`` written into the run folder.
        result_rows: ``metrics -> [(name, value)]`` for the report.
        headline: ``metrics -> str``, the line the CLI prints.
    """

    name: str
    task: str
    history_columns: tuple[str, ...]
    curve: tuple[str, str]
    make_module: Callable[[TrainingTask, nn.Module, int], L.LightningModule]
    evaluate: Callable[..., dict[str, Any]]
    pictures: Callable[[TrainingTask, RunFolder, dict[str, Any]], list[str]]
    result_rows: Callable[[dict[str, Any]], list[tuple[str, str]]]
    headline: Callable[[dict[str, Any]], str]
    aliases: tuple[str, ...] = ()

    def task_name(self, input_spec: dict[str, Any]) -> str:
        """model.json's ``task``: classifiers say what they classify (image, text, vector)."""
        if self.name == "classification" and input_spec.get("kind") in ("text", "vector"):
            return f"{input_spec['kind']}-classification"
        return self.task


# -- classification -----------------------------------------------------------------------------


def _supervised_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.train.module import SupervisedModule

    return SupervisedModule(model, task.loss_fn, task.metrics(len(task.data.labels)), task.config,
                            steps_per_epoch=steps_per_epoch)


def _classifier_evaluate(model: nn.Module, dataset: Dataset, labels: list[str], progress: Any = None) -> dict[str, Any]:
    from shendu.train.evaluate import evaluate_classifier

    return evaluate_classifier(model, dataset, len(labels), progress=progress)


def _classifier_pictures(task: TrainingTask, run: RunFolder, evaluation: dict[str, Any]) -> list[str]:
    from shendu.train.plots import plot_confusion, plot_misclassified

    predictions, targets, labels = evaluation["predictions"], evaluation["targets"], task.data.labels
    plot_confusion(targets, predictions, labels, run.file(CONFUSION))
    pictures = [CONFUSION]
    if task.data.input_spec.get("kind") == "image":
        wrong = [i for i, (t, p) in enumerate(zip(targets, predictions, strict=True)) if t != p][:32]
        plot_misclassified([viewable(task.data.test[i][0], task.data.input_spec) for i in wrong],
                           [f"{labels[targets[i]]} -> {labels[predictions[i]]}" for i in wrong],
                           run.file(MISCLASSIFIED))
        pictures.append(MISCLASSIFIED)
    return pictures


def _classifier_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    acc = metrics["test_acc"]
    rows = [("test accuracy", f"{acc:.4f} ({acc * 100:.2f}%)"), ("test loss", f"{metrics['test_loss']:.4f}")]
    if "scratch_test_acc" in metrics:
        rows.append(("test accuracy computed by the scratch engine", f"{metrics['scratch_test_acc']:.4f}"))
    return rows + [("test examples", str(metrics["test_samples"]))]


def viewable(x: Any, spec: dict[str, Any]) -> Any:
    """Undo the input normalisation: a (C, H, W) tensor -> an (H, W[, C]) array in [0, 1]."""
    import numpy as np

    mean = np.asarray(spec["mean"], dtype=np.float32)[:, None, None]
    std = np.asarray(spec["std"], dtype=np.float32)[:, None, None]
    image = np.clip(x.numpy() * std + mean, 0.0, 1.0)
    return image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)


CLASSIFICATION = Kind(
    name="classification",
    task="image-classification",
    history_columns=("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"),
    curve=("acc", "Accuracy"),
    make_module=_supervised_module,
    evaluate=_classifier_evaluate,
    pictures=_classifier_pictures,
    result_rows=_classifier_rows,
    headline=lambda m: f"test accuracy: [bold]{m['test_acc'] * 100:.2f}%[/] on {m['test_samples']:,} test examples",
    aliases=("text-classification", "vector-classification"),
)


# -- detection ------------------------------------------------------------------------------------


def _detector_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.train.detection import DetectionModule

    return DetectionModule(model, task.config, steps_per_epoch=steps_per_epoch)


def _detector_evaluate(model: nn.Module, dataset: Dataset, labels: list[str], progress: Any = None) -> dict[str, Any]:
    from shendu.train.detection import evaluate_detector

    return evaluate_detector(model, dataset, labels, progress=progress)


def _detector_pictures(task: TrainingTask, run: RunFolder, evaluation: dict[str, Any]) -> list[str]:
    from shendu.train.plots import plot_detections

    images = [task.data.test[i][0] for i in range(len(evaluation["predictions"]))]
    plot_detections(images, evaluation["predictions"], evaluation["targets"], task.data.labels, run.file(DETECTIONS))
    return [DETECTIONS]


def _detector_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("test mAP@0.5", f"{metrics['test_map_50']:.4f}"),
        ("test mAP@[.5:.95]", f"{metrics['test_map']:.4f}"),
        ("test mAP@0.75", f"{metrics['test_map_75']:.4f}"),
        ("test mAR@100", f"{metrics['test_mar_100']:.4f}"),
        ("test images (objects)", f"{metrics['test_samples']} ({metrics['test_objects']})"),
    ]
    per_class = metrics.get("test_ap_per_class") or {}
    if per_class:
        rows.append(("AP@[.5:.95] per class", ", ".join(f"{k}: {v:.3f}" for k, v in per_class.items())))
    return rows


DETECTION = Kind(
    name="detection",
    task="object-detection",
    history_columns=("epoch", "train_loss", "train_loss_classifier", "train_loss_box_reg", "train_loss_objectness",
                     "train_loss_rpn_box_reg", "val_loss", "val_map_50", "val_map", "lr", "seconds"),
    curve=("map_50", "mAP@0.5"),
    make_module=_detector_module,
    evaluate=_detector_evaluate,
    pictures=_detector_pictures,
    result_rows=_detector_rows,
    headline=lambda m: (f"test mAP@0.5: [bold]{m['test_map_50']:.4f}[/], mAP@[.5:.95]: {m['test_map']:.4f} "
                        f"on {m['test_samples']:,} test images"),
)


# -- forecasting ----------------------------------------------------------------------------------


def _forecast_evaluate(model: nn.Module, dataset: Dataset, labels: list[str], progress: Any = None) -> dict[str, Any]:
    from shendu.train.forecast import evaluate_forecaster

    return evaluate_forecaster(model, dataset, progress=progress)  # type: ignore[arg-type]


def _forecast_pictures(task: TrainingTask, run: RunFolder, evaluation: dict[str, Any]) -> list[str]:
    from shendu.train.plots import plot_forecast

    plot_forecast(task.data.test, evaluation["forecasts"], run.file(FORECAST_PLOT))  # type: ignore[arg-type]
    return [FORECAST_PLOT]


def _forecast_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    from shendu.train.forecast import forecast_table

    return forecast_table(metrics)


FORECAST = Kind(
    name="forecast",
    task="time-series-forecasting",
    history_columns=("epoch", "train_loss", "train_rmse", "val_loss", "val_rmse", "lr", "seconds"),
    curve=("rmse", "RMSE (scaled units)"),
    make_module=_supervised_module,
    evaluate=_forecast_evaluate,
    pictures=_forecast_pictures,
    result_rows=_forecast_rows,
    headline=lambda m: (f"test RMSE: [bold]{m['test_rmse']:.4g}[/] (persistence {m['test_persistence_rmse']:.4g}"
                        + (f", {m['test_sarima_model']} {m['test_sarima_rmse']:.4g}" if "test_sarima_rmse" in m else "")
                        + f") on {m['test_samples']} test windows"),
)


# -- speech recognition ---------------------------------------------------------------------------


def _speech_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.train.speech import CTCModule

    return CTCModule(model, "".join(task.data.labels), task.config, steps_per_epoch=steps_per_epoch)


def _speech_evaluate(model: nn.Module, dataset: Dataset, labels: list[str], progress: Any = None) -> dict[str, Any]:
    from shendu.train.speech import evaluate_recognizer

    return evaluate_recognizer(model, dataset, "".join(labels), beam=getattr(dataset, "beam", 8), progress=progress)


def _speech_pictures(task: TrainingTask, run: RunFolder, evaluation: dict[str, Any]) -> list[str]:
    from shendu.train.plots import plot_transcripts

    test = task.data.test
    wrong = [i for i, (t, _, b) in enumerate(evaluation["examples"]) if t != b]
    picks = (wrong[:3] + [i for i in range(len(test)) if i not in wrong][:3])[:4]  # type: ignore[arg-type]
    n_mels = int(task.data.input_spec["features"]["n_mels"])
    plot_transcripts([test[i][0] for i in picks], [evaluation["examples"][i] for i in picks], n_mels,
                     run.file(TRANSCRIPTS))
    return [TRANSCRIPTS]


def _speech_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("test word error rate", f"{metrics['test_wer'] * 100:.2f}% (beam {metrics['test_beam']}), "
                                 f"{metrics['test_wer_greedy'] * 100:.2f}% (greedy)"),
        ("test character error rate", f"{metrics['test_cer'] * 100:.2f}% (beam), "
                                      f"{metrics['test_cer_greedy'] * 100:.2f}% (greedy)"),
        ("test clips (transcripts not exactly right)", f"{metrics['test_samples']} ({metrics['test_sentences_wrong']})"),
    ]


SPEECH = Kind(
    name="speech",
    task="speech-recognition",
    history_columns=("epoch", "train_loss", "val_loss", "val_cer", "val_wer", "lr", "seconds"),
    curve=("wer", "Word error rate (greedy)"),
    make_module=_speech_module,
    evaluate=_speech_evaluate,
    pictures=_speech_pictures,
    result_rows=_speech_rows,
    headline=lambda m: (f"test word error rate: [bold]{m['test_wer'] * 100:.2f}%[/] (greedy "
                        f"{m['test_wer_greedy'] * 100:.2f}%), character error rate {m['test_cer'] * 100:.2f}% "
                        f"on {m['test_samples']:,} test clips"),
)


# -- multimodal comparison ------------------------------------------------------------------------


def _multimodal_module(task: TrainingTask, model: nn.Module, steps_per_epoch: int) -> L.LightningModule:
    from shendu.models.multimodal import ComparisonLoss
    from shendu.train.module import SupervisedModule

    return SupervisedModule(model, ComparisonLoss(model), task.metrics(len(task.data.labels)), task.config,  # type: ignore[arg-type]
                            steps_per_epoch=steps_per_epoch)


def _multimodal_evaluate(model: nn.Module, dataset: Dataset, labels: list[str], progress: Any = None) -> dict[str, Any]:
    """The fused model's metrics (``test_acc``...) and each single-modality model's accuracy."""
    from shendu.train.evaluate import evaluate_classifier

    result = evaluate_classifier(model, dataset, len(labels), progress=progress)
    for name in ("image", "text"):
        result[f"test_acc_{name}_only"] = evaluate_classifier(model.branch(name), dataset, len(labels))["test_acc"]  # type: ignore[operator]
    result["test_fusion_gain"] = result["test_acc"] - max(result["test_acc_image_only"], result["test_acc_text_only"])
    return result


def _multimodal_rows(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    fused, image, text = metrics["test_acc"], metrics["test_acc_image_only"], metrics["test_acc_text_only"]
    return [
        ("test accuracy: fused (MultiModalModel)", f"{fused:.4f} ({fused * 100:.2f}%)"),
        ("test accuracy: image-only model", f"{image:.4f} ({image * 100:.2f}%)"),
        ("test accuracy: text-only model", f"{text:.4f} ({text * 100:.2f}%)"),
        ("fused minus the better single modality", f"{metrics['test_fusion_gain'] * 100:+.2f} points"),
        ("test pairs", str(metrics["test_samples"])),
    ]


MULTIMODAL = Kind(
    name="multimodal",
    task="multimodal-classification",
    history_columns=CLASSIFICATION.history_columns,
    curve=("acc", "Accuracy (fused)"),
    make_module=_multimodal_module,
    evaluate=_multimodal_evaluate,
    pictures=lambda task, run, evaluation: _classifier_pictures(task, run, evaluation),
    result_rows=_multimodal_rows,
    headline=lambda m: (f"test accuracy: fused [bold]{m['test_acc'] * 100:.2f}%[/], image only "
                        f"{m['test_acc_image_only'] * 100:.2f}%, text only {m['test_acc_text_only'] * 100:.2f}% on "
                        f"{m['test_samples']:,} test pairs"),
)

KINDS = {k.name: k for k in (CLASSIFICATION, DETECTION, FORECAST, SPEECH, MULTIMODAL)}
_BY_TASK = {name: k for k in KINDS.values() for name in (k.task, *k.aliases)}


def get_kind(name: str) -> Kind:
    return KINDS[name]


def kind_of_model(spec: dict[str, Any]) -> Kind:
    """The kind of a run from its model.json (``task``; runs before detection are classifiers)."""
    task = spec.get("task", CLASSIFICATION.task)
    if task not in _BY_TASK:
        from shendu.errors import RunFolderError

        raise RunFolderError(f"model.json has task {task!r}; this shendu knows {', '.join(_BY_TASK)}. "
                             "Use the shendu version that trained the run.")
    return _BY_TASK[task]
