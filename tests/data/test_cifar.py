import pickle
import shutil

import numpy as np
import pytest
from torchvision.datasets import CIFAR10

from shendu.data.cifar import cifar10_bundle, load_cifar10
from shendu.data.safe_pickle import load_data_pickle
from shendu.errors import DataError


class _UncheckedCIFAR10(CIFAR10):
    """torchvision's own reader, minus the md5 check that only the official files pass."""

    def _check_integrity(self) -> bool:
        return True

    def _load_meta(self) -> None:
        with open(f"{self.root}/{self.base_folder}/{self.meta['filename']}", "rb") as f:
            self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]


def test_reads_the_python_format_exactly_like_torchvision(cifar_dir):
    ours = load_cifar10(cifar_dir)
    for split, train in (("train", True), ("test", False)):
        reference = _UncheckedCIFAR10(str(cifar_dir), train=train)
        images, labels = ours[split]
        assert images.shape == (len(reference), 3, 32, 32)
        # torchvision keeps HWC; ours is CHW
        assert np.array_equal(images.transpose(0, 2, 3, 1), reference.data)
        assert labels.tolist() == reference.targets
    assert ours["classes"] == _UncheckedCIFAR10(str(cifar_dir)).classes
    # the folder itself or its parent both work
    assert len(load_cifar10(cifar_dir / "cifar-10-batches-py")["train"][1]) == 300


def test_bundle_splits_and_normalises(cifar_dir):
    bundle = cifar10_bundle(cifar_dir, val_size=50)
    assert bundle.sizes == {"train": 250, "val": 50, "test": 100}
    x, y = bundle.val[0]
    assert x.shape == (3, 32, 32) and 0 <= int(y) <= 9
    assert bundle.labels[0] == "airplane"


def test_truncated_missing_and_malicious_files(tmp_path, cifar_dir):
    folder = tmp_path / "c" / "cifar-10-batches-py"
    shutil.copytree(cifar_dir / "cifar-10-batches-py", folder)
    batch = folder / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:5000])
    with pytest.raises(DataError, match="data_batch_3 must be a batch file of the CIFAR-10 python version"):
        load_cifar10(tmp_path / "c")
    batch.unlink()
    with pytest.raises(DataError, match="lacks data_batch_3"):
        load_cifar10(tmp_path / "c")
    with pytest.raises(DataError, match="no such folder"):
        load_cifar10(tmp_path / "absent")

    class Exploit:
        def __reduce__(self):
            return (shutil.rmtree, (str(tmp_path / "c"),))

    evil = tmp_path / "evil"
    evil.write_bytes(pickle.dumps({"data": Exploit()}, protocol=2))
    with pytest.raises(DataError, match="shutil.rmtree' is not allowed"):
        load_data_pickle(evil)
    assert folder.is_dir()  # nothing ran


def test_no_data_is_a_clear_error():
    with pytest.raises(DataError, match="needs `--data DIR`"):
        cifar10_bundle(None)
