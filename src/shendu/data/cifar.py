"""CIFAR-10 from the official "python version" folder (``cifar-10-batches-py``).

The layout and format are those torchvision's ``CIFAR10`` reads (``data_batch_1..5``,
``test_batch``, ``batches.meta``), so a real download works unchanged; ``--download`` uses
torchvision to fetch it. The files are read with a restricted unpickler
(:mod:`shendu.data.safe_pickle`) and checked: each batch must hold ``data`` uint8
``(N, 3072)`` and ``N`` labels in 0-9. No CIFAR data ships in a package.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torchvision.transforms.v2 as T

from shendu.data.base import ArrayImageDataset, DataBundle, ImageSpec, TestSource
from shendu.data.safe_pickle import load_data_pickle
from shendu.data.splits import array_checksum, stratified_split
from shendu.errors import DataError

log = logging.getLogger(__name__)

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
CIFAR_SPEC = ImageSpec(channels=3, height=32, width=32, mean=(0.4914, 0.4822, 0.4465),
                       std=(0.2470, 0.2435, 0.2616), invert="never")


def _folder(root: Path) -> Path:
    return root if (root / META).is_file() or root.name == FOLDER else root / FOLDER


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _described(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype} {value.shape}"
    return f"a {type(value).__name__}"


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> images uint8 ``(N, 3, 32, 32)`` and labels int64 ``(N,)``.

    Raises:
        DataError: naming the file and the key: not a dict, ``data`` or ``labels`` missing,
            ``data`` not uint8 ``(N, 3072)``, a label that is no whole number in 0-9.
    """
    entry = load_data_pickle(path)
    fix = "Download the file again."
    if not isinstance(entry, dict):
        raise DataError(f"{path} must be a CIFAR-10 batch: a dict with 'data' and 'labels'; got {_described(entry)}. {fix}")
    missing = [key for key in ("data", "labels") if key not in entry]
    if missing:
        keys = ", ".join(_shown(k, 30) for k in list(entry)[:8]) or "none"
        raise DataError(f"{path} must be a CIFAR-10 batch: a dict with 'data' and 'labels'; it lacks "
                        f"{' and '.join(repr(k) for k in missing)} (its keys: {keys}). {fix}")
    data = entry["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise DataError(f"{path} key 'data' must be a uint8 array of shape (N, 3072); got {_described(data)}. {fix}")
    labels = _labels(entry["labels"], path)
    if len(labels) != len(data):
        raise DataError(f"{path}: {len(data)} images in 'data' but {len(labels)} 'labels'. {fix}")
    return data.reshape(-1, 3, 32, 32), labels  # (N, 3072) -> (N, C, H, W), channel-major as stored


def _labels(value: object, path: Path) -> np.ndarray:
    """A batch's ``labels`` (a list of ints, or an integer array) as int64, each in 0-9."""
    where = f"{path} key 'labels'"
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "iu":
            raise DataError(f"{where} must be a list of whole numbers 0-9; got {_described(value)}.")
        items = value.tolist()
    elif isinstance(value, list):
        items = value
    else:
        raise DataError(f"{where} must be a list of whole numbers 0-9; got {_described(value)}.")
    for index, label in enumerate(items):
        whole = isinstance(label, int | np.integer) and not isinstance(label, bool)
        if not whole or not 0 <= label <= 9:
            kind = "" if whole else f" ({type(label).__name__})"
            raise DataError(f"{where} must be a list of whole numbers 0-9, one class per image; labels[{index}] "
                            f"is {_shown(label)}{kind}. Download the file again.")
    return np.asarray(items, dtype=np.int64)


def read_classes(path: Path) -> list[str]:
    """``batches.meta``'s ``label_names``: the 10 class names."""
    meta = load_data_pickle(path)
    names = meta.get("label_names") if isinstance(meta, dict) else None
    if not (isinstance(names, list) and len(names) == 10 and all(isinstance(n, str) and n for n in names)):
        found = _described(meta) if not isinstance(meta, dict) else (
            "no 'label_names'" if "label_names" not in meta else _shown(names, 120))
        raise DataError(f"{path} key 'label_names' must list the 10 class names (strings); got {found}. "
                        "Download the file again.")
    return list(names)


def load_cifar10(root: Path | str, download: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray] | list[str]]:
    """Read all batches: ``{"train": (x, y), "test": (x, y), "classes": [...]}``."""
    root = Path(root)
    if download:
        from torchvision.datasets import CIFAR10

        CIFAR10(str(root), train=True, download=True)
    folder = _folder(root)
    if not folder.is_dir():
        raise DataError(
            f"`--data` must be the CIFAR-10 python folder ({FOLDER}/ with data_batch_1..5, "
            f"test_batch, batches.meta) or its parent; got {root} (no such folder). Pass "
            "--download to fetch it when online."
        )
    missing = [n for n in (*TRAIN_BATCHES, TEST_BATCH, META) if not (folder / n).is_file()]
    if missing:
        raise DataError(f"{folder} lacks {', '.join(missing)}; a CIFAR-10 python folder has data_batch_1..5, "
                        "test_batch and batches.meta. Download it again (or pass --download when online).")
    classes = read_classes(folder / META)
    parts = [read_batch(folder / n) for n in TRAIN_BATCHES]
    train = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    return {"train": train, "test": read_batch(folder / TEST_BATCH), "classes": classes}


def cifar_transforms(augment: bool) -> T.Compose:
    """The documents' augmentation: random crop (padding 4), horizontal flip, colour jitter."""
    steps: list = []
    if augment:
        steps += [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                  T.ColorJitter(brightness=0.2, contrast=0.2)]
    steps.append(T.Normalize(CIFAR_SPEC.mean, CIFAR_SPEC.std))
    return T.Compose(steps)


def cifar10_bundle(data: Path | str | None, download: bool = False, augment: bool = True,
                   val_size: int = 5000, split_seed: int = 0) -> DataBundle:
    """CIFAR-10 train (minus ``val_size`` for validation) and the official test batch."""
    if data is None:
        raise DataError(
            "cifar10-cnn needs `--data DIR`, the CIFAR-10 python folder (cifar-10-batches-py); no "
            "CIFAR data ships in a package. Add --download to fetch it when online."
        )
    files = load_cifar10(data, download=download)
    images, labels = files["train"]  # type: ignore[misc]
    if val_size >= len(labels):
        raise DataError(f"{data} holds {len(labels)} training images, too few to keep {val_size} for "
                        "validation; pass a smaller --set val_size=N.")
    split = stratified_split(labels, test_size=val_size, val_size=0, seed=split_seed)
    test_images, test_labels = files["test"]  # type: ignore[misc]
    return DataBundle(
        train=ArrayImageDataset(images[split.train], labels[split.train], transform=cifar_transforms(augment)),
        val=ArrayImageDataset(images[split.test], labels[split.test], transform=cifar_transforms(False)),
        test=ArrayImageDataset(test_images, test_labels, transform=cifar_transforms(False)),
        labels=list(files["classes"]),  # type: ignore[arg-type]
        source=f"CIFAR-10 python batches in {Path(data).resolve()}",
        checksum=array_checksum(images, labels, test_images, test_labels),
        input_spec=CIFAR_SPEC,
        extra={"split_seed": split_seed, "augment": augment},
        test_source=TestSource("shendu.data.cifar:cifar10_bundle", {"data": str(Path(data).resolve()), "augment": False,
                                                                    "val_size": val_size, "split_seed": split_seed}),
    )
