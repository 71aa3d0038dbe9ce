import pickle
import shutil

import numpy as np
import pytest
from torchvision.datasets import CIFAR10

from shendu.data.cifar import cifar10_bundle, load_cifar10, read_batch
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


# -- batches from strangers: each wrong key named ----------------------------------------------------


def _batch(**change):
    entry = {"batch_label": "training batch 1 of 5", "labels": [3, 1], "data": np.zeros((2, 3072), np.uint8),
             "filenames": ["a.png", "b.png"]}
    entry.update(change)
    return {k: v for k, v in entry.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize(("entry", "fragments"), [
    (_batch(labels=["3", "1"]), ["key 'labels' must be a list of whole numbers 0-9", "labels[0] is '3' (str)"]),
    (_batch(labels=[3, -1]), ["labels[1] is -1"]),
    (_batch(labels=[3, 10]), ["labels[1] is 10"]),
    (_batch(labels=[3, 10**30]), ["labels[1] is 1000000000000000000000000000000"]),
    (_batch(labels=[3, 1.0]), ["labels[1] is 1.0 (float)"]),
    (_batch(labels=[3, True]), ["labels[1] is True (bool)"]),
    (_batch(labels=[3, None]), ["labels[1] is None (NoneType)"]),
    (_batch(labels="31"), ["key 'labels' must be a list of whole numbers 0-9; got a str"]),
    (_batch(labels=np.array([3.0, 1.0])), ["key 'labels'", "got an array of float64 (2,)"]),
    (_batch(labels=np.array([[3, 1]])), ["key 'labels'", "got an array of int64 (1, 2)"]),
    (_batch(labels=[3]), ["2 images in 'data' but 1 'labels'"]),
    (_batch(data=np.zeros((2, 3072), np.float32)), ["key 'data' must be a uint8 array of shape (N, 3072)",
                                                     "got an array of float32 (2, 3072)"]),
    (_batch(data=np.zeros((2, 3, 32, 32), np.uint8)), ["key 'data'", "uint8 (2, 3, 32, 32)"]),
    (_batch(data=np.zeros((2, 100), np.uint8)), ["key 'data'", "uint8 (2, 100)"]),
    (_batch(data=[[0] * 3072] * 2), ["key 'data'", "got a list"]),
    (_batch(data=_DROP), ["it lacks 'data' (its keys: 'batch_label', 'labels', 'filenames')"]),
    (_batch(labels=_DROP, data=_DROP), ["it lacks 'data' and 'labels'"]),
    ([1, 2], ["must be a CIFAR-10 batch: a dict with 'data' and 'labels'; got a list"]),
])
def test_wrong_batches_name_the_file_and_the_key(tmp_path, entry, fragments):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(entry, protocol=2))
    with pytest.raises(DataError) as caught:
        read_batch(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize("meta", [{"label_names": "airplanes!"}, {"label_names": list(range(10))}, {},
                                  {"label_names": ["a"] * 9}, [1]])
def test_wrong_class_names_are_refused(tmp_path, cifar_dir, meta):
    folder = tmp_path / "cifar-10-batches-py"
    shutil.copytree(cifar_dir / "cifar-10-batches-py", folder)
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    with pytest.raises(DataError, match="batches.meta key 'label_names' must list the 10 class names"):
        load_cifar10(tmp_path)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from shendu.data import safe_pickle

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(_batch(), protocol=2))
    monkeypatch.setattr(safe_pickle, "MAX_PICKLE_BYTES", 100)
    with pytest.raises(DataError, match=r"data_batch_1 is [\d,]+ bytes; .* files over 100 bytes are refused"):
        read_batch(path)


def test_a_pickle_cannot_start_a_huge_array(tmp_path):
    """numpy's pickles start each array empty, ``_reconstruct(ndarray, (0,), b'b')``, and fill it
    from the file's bytes; one that starts an array of 50000 x 50000 (2.5 GB), or calls
    ``ndarray`` itself, is refused before numpy allocates it."""
    start = b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
    huge = start + b"JP\xc3\x00\x00JP\xc3\x00\x00\x86C\x01b\x87R."  # _reconstruct(ndarray, (50000, 50000), b"b")
    assert pickle.loads(huge).shape == (50000, 50000)  # what pickle itself would build
    called = b"\x80\x02cnumpy\nndarray\nJP\xc3\x00\x00\x85R."  # ndarray((50000,))
    for data, reason in ((huge, "not the empty one numpy writes"), (called, "TypeError")):
        (tmp_path / "bomb").write_bytes(data)
        with pytest.raises(DataError, match=f"bomb must be a batch file .*could not be read .*{reason}"):
            load_data_pickle(tmp_path / "bomb")
