"""A pickle whose unpickling would touch a marker file, given to every loader that could meet a
pickle: each refuses it with its own ShenduError subclass, and the marker never appears.

The payloads are the usual ways to run code from a pickle: a bound method (``getattr``), a
function with its argument, ``exec`` of a string and ``os.system``. They are written as pickles
(protocol 2 and 4) and inside torch's zip format, as `torch.save` would write them.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from shendu.errors import DataError, InputError, RunFolderError, ShenduError
from tests.conftest import folder_digest, run_cli, write_cifar_folder


class Payload:
    """Unpickled, it calls ``call(*args)``."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


def payloads(marker: Path) -> dict[str, Payload]:
    return {
        "bound method": Payload(pathlib.Path(marker).touch),
        "function": Payload(pathlib.Path.touch, pathlib.Path(marker)),
        "exec": Payload(exec, f"import pathlib; pathlib.Path({str(marker)!r}).touch()"),
        "os.system": Payload(os.system, f"touch {marker}"),
    }


def as_pickle(payload: Payload) -> bytes:
    return pickle.dumps({"data": payload, "labels": [0]}, protocol=2)


def as_torch(payload: Payload) -> bytes:
    buffer = io.BytesIO()
    torch.save({"state_dict": {"w": torch.zeros(2)}, "hook": payload}, buffer)
    return buffer.getvalue()


# -- the loaders: each writes the evil bytes where it reads, then reads ---------------------------------------


def checkpoint(tmp_path, run, data):
    from shendu.train.checkpoint_io import load_checkpoint

    (tmp_path / "last.ckpt").write_bytes(data)
    load_checkpoint(tmp_path / "last.ckpt")


def resume(tmp_path, run, data):
    """`shendu train --resume` of an interrupted run whose last.ckpt was swapped."""
    run = Path(shutil.copytree(run, tmp_path / "run"))
    (run / "model.safetensors").unlink()
    (run / "metrics.json").unlink()
    (run / "checkpoints" / "last.ckpt").write_bytes(data)
    before = folder_digest(run)
    result = run_cli("train", "--resume", str(run), "--no-progress")
    output = result.stdout + result.stderr
    assert folder_digest(run) == before
    if result.returncode == 2 and "Traceback" not in output and "last.ckpt" in output:
        raise RunFolderError(output)
    pytest.fail(f"--resume exited {result.returncode}: {output[-2000:]}")


def cifar_batch(tmp_path, run, data):
    from shendu.data.cifar import load_cifar10

    root = write_cifar_folder(tmp_path / "cifar", per_batch=10, test=10)
    (root / "cifar-10-batches-py" / "data_batch_2").write_bytes(data)
    load_cifar10(root)


def cifar_meta(tmp_path, run, data):
    from shendu.data.cifar import load_cifar10

    root = write_cifar_folder(tmp_path / "cifar", per_batch=10, test=10)
    (root / "cifar-10-batches-py" / "batches.meta").write_bytes(data)
    load_cifar10(root)


def pretrained_weights(suffix):
    def load(tmp_path, run, data):
        from shendu.recipes.image_folder import ImageFolderConfig, pretrained_state

        (tmp_path / f"backbone{suffix}").write_bytes(data)
        pretrained_state(ImageFolderConfig(model="resnet18", weights=str(tmp_path / f"backbone{suffix}")))

    return load


def run_weights(tmp_path, run, data):
    """model.safetensors swapped for the pickle, its SHA-256 recorded as a careful tamperer would."""
    import hashlib

    import shendu

    run = Path(shutil.copytree(run, tmp_path / "run"))
    (run / "model.safetensors").write_bytes(data)
    model = json.loads((run / "model.json").read_text())
    model["weights_sha256"] = hashlib.sha256(data).hexdigest()
    (run / "model.json").write_text(json.dumps(model))
    shendu.load(run)


def tokenizer(tmp_path, run, data):
    from shendu.data.tokenize import load_tokenizer

    (tmp_path / "tokenizer.json").write_bytes(data)
    load_tokenizer(tmp_path / "tokenizer.json")


def coco(tmp_path, run, data):
    from shendu.data.detection import coco_bundle

    (tmp_path / "annotations.json").write_bytes(data)
    coco_bundle(tmp_path / "annotations.json")


def image(tmp_path, run, data):
    from shendu.data.images import read_image

    (tmp_path / "input.png").write_bytes(data)
    read_image(tmp_path / "input.png")


def audio(tmp_path, run, data):
    from shendu.data.speech import read_audio

    (tmp_path / "input.wav").write_bytes(data)
    read_audio(tmp_path / "input.wav")


LOADERS = {
    "checkpoint": (checkpoint, RunFolderError),
    "train --resume": (resume, RunFolderError),
    "cifar batch": (cifar_batch, DataError),
    "cifar batches.meta": (cifar_meta, DataError),
    "image-folder --weights .pth": (pretrained_weights(".pth"), ShenduError),
    "image-folder --weights .safetensors": (pretrained_weights(".safetensors"), ShenduError),
    "model.safetensors": (run_weights, RunFolderError),
    "tokenizer.json": (tokenizer, RunFolderError),
    "coco annotations.json": (coco, DataError),
    "image": (image, InputError),
    "audio": (audio, InputError),
}


CASES = [(loader, payload, form) for loader in LOADERS for payload in ("bound method", "function", "exec", "os.system")
         for form in ("pickle", "torch")
         if loader != "train --resume" or (payload, form) == ("bound method", "torch")]  # the CLI: one is enough


@pytest.mark.parametrize(("loader", "payload", "form"), CASES)
def test_a_pickle_that_runs_code_is_refused_and_never_runs(tmp_path, digits_run, loader, payload, form):
    marker = tmp_path / "marker"
    evil = payloads(marker)[payload]
    data = as_pickle(evil) if form == "pickle" else as_torch(evil)
    load, expected = LOADERS[loader]
    with pytest.raises(expected) as caught:
        load(tmp_path, digits_run, data)  # a loader that changes the run works on a copy
    message = str(caught.value)
    assert message.strip() and "weights_only=False" not in message and "trust the source" not in message, message
    assert not marker.exists(), f"{loader} ran the pickle's code"


def test_pretrained_weights_that_are_no_state_dict_are_refused(tmp_path):
    from shendu.recipes.image_folder import ImageFolderConfig, pretrained_state

    for name, value in (("list.pth", [torch.zeros(2)]), ("nested.pth", {"model": {"w": torch.zeros(2)}})):
        torch.save(value, tmp_path / name)
        with pytest.raises(ShenduError, match=f"--weights .*{name} must hold a state_dict"):
            pretrained_state(ImageFolderConfig(model="resnet18", weights=str(tmp_path / name)))


def test_the_payloads_do_run_under_plain_pickle(tmp_path):
    """The check above can fail: plain ``pickle.loads`` and ``torch.load(weights_only=False)``
    create the marker with every payload."""
    marker = tmp_path / "marker"
    for name, payload in payloads(marker).items():
        for form, load in (("pickle", lambda data: pickle.loads(data)),
                           ("torch", lambda data: torch.load(io.BytesIO(data), weights_only=False))):
            load(as_pickle(payload) if form == "pickle" else as_torch(payload))
            assert marker.exists(), (name, form)
            marker.unlink()
