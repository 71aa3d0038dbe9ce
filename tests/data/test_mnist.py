import gzip
import shutil

import numpy as np
import pytest
from torchvision.datasets import MNIST

from shendu.data.digits import digits_bundle
from shendu.data.mnist import load_mnist_idx, mnist_bundle
from shendu.errors import DataError
from tests.conftest import write_idx


def test_shipped_sample_is_real_mnist(mnist_sample):
    images, labels = mnist_sample
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    # MNIST digits are white ink on black: the border is empty, the centre is not.
    assert images[:, 0, :].max() == 0 and images[:, 10:18, 10:18].mean() > 60


def test_sample_bundle_holds_out_1000_images():
    bundle = mnist_bundle(augment=False)
    assert bundle.sizes == {"train": 3500, "val": 500, "test": 1000}
    x, y = bundle.test[0]
    assert x.shape == (1, 28, 28) and 0 <= int(y) <= 9
    assert abs(float(bundle.train.images.float().div(255).mean()) - 0.13) < 0.01


def test_idx_files_read_through_torchvision_match_what_was_written(mnist_idx_dir, mnist_sample):
    files = load_mnist_idx(mnist_idx_dir)
    assert files["train"][0].shape == (1000, 28, 28) and files["test"][0].shape == (200, 28, 28)
    # torchvision's own MNIST class reads the same folder identically
    reference = MNIST(str(mnist_idx_dir), train=True, download=False)
    assert np.array_equal(reference.data.numpy(), files["train"][0])
    assert np.array_equal(reference.targets.numpy(), files["train"][1])


def test_idx_files_directly_in_a_folder(tmp_path, mnist_idx_dir):
    for f in (mnist_idx_dir / "MNIST" / "raw").iterdir():
        shutil.copy(f, tmp_path / f.name)
    bundle = mnist_bundle(tmp_path, val_size=100)
    assert bundle.sizes == {"train": 900, "val": 100, "test": 200}
    assert "IDX files" in bundle.source


def test_missing_folder_and_missing_file(tmp_path, mnist_idx_dir):
    with pytest.raises(DataError, match="no such folder"):
        load_mnist_idx(tmp_path / "absent")
    (tmp_path / "train-images-idx3-ubyte").write_bytes(
        (mnist_idx_dir / "MNIST/raw/train-images-idx3-ubyte").read_bytes())
    with pytest.raises(DataError, match="lacks train-labels-idx1-ubyte"):
        load_mnist_idx(tmp_path)


def test_truncated_idx_file_names_file_and_sizes(tmp_path, mnist_idx_dir):
    for f in (mnist_idx_dir / "MNIST" / "raw").iterdir():
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte is truncated.*must be 156816 bytes; got 156716"):
        load_mnist_idx(tmp_path)


def test_gzipped_or_wrong_format_files_get_a_hint(tmp_path, mnist_idx_dir):
    for f in (mnist_idx_dir / "MNIST" / "raw").iterdir():
        with open(f, "rb") as src, gzip.open(tmp_path / f"{f.name}.gz", "wb") as dst:
            dst.write(src.read())
    with pytest.raises(DataError, match="gunzip"):
        load_mnist_idx(tmp_path)
    for f in (mnist_idx_dir / "MNIST" / "raw").iterdir():
        shutil.copy(f, tmp_path / f.name)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros((2, 2), np.uint8))
    with pytest.raises(DataError, match="magic number"):
        load_mnist_idx(tmp_path)


def test_digits_bundle_is_standardised_with_the_training_statistics():
    bundle = digits_bundle()
    assert bundle.sizes == {"train": 1257, "val": 180, "test": 360}
    raw = bundle.train.images
    assert 0.0 <= float(raw.min()) and float(raw.max()) == 1.0
    x = __import__("torch").stack([bundle.train[i][0] for i in range(len(bundle.train))])
    assert x.shape == (1257, 1, 8, 8)
    assert abs(float(x.mean())) < 0.01 and abs(float(x.std()) - 1.0) < 0.01
