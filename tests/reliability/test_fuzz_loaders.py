"""Every loader of files from strangers, fuzzed: each damaged variant is refused with the right
ShenduError subclass (a clear paragraph naming the file) or loads correctly. Never another
exception, a hang or an allocation beyond 2 GiB (see :mod:`tests.reliability.fuzzing`).

``make test`` tries 50 variants per loader; ``make test-slow`` 1,000 (the issue's target), or as
many as ``SHENDU_FUZZ_VARIANTS`` says.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

import shendu
from shendu.data.base import ImageSpec
from shendu.data.cifar import load_cifar10
from shendu.data.detection import coco_bundle
from shendu.data.images import image_to_tensor, image_to_unit_tensor, read_image
from shendu.data.speech import read_audio
from shendu.data.tokenize import build_tokenizer, encode, load_tokenizer
from shendu.errors import DataError, InputError, RunFolderError
from shendu.train.checkpoint_io import load_checkpoint
from tests.conftest import write_cifar_folder
from tests.reliability.fuzzing import CONFUSERS, confused, damaged, fuzz, json_variant, report

SLOW_COUNT = int(os.environ.get("SHENDU_FUZZ_VARIANTS", "1000"))
COUNTS = [pytest.param(50, id="50"), pytest.param(SLOW_COUNT, id=str(SLOW_COUNT), marks=pytest.mark.slow)]
pytestmark = pytest.mark.timeout(1800, method="thread")  # a hang in C code, which SIGALRM cannot stop
DIGIT = np.eye(8, dtype=np.uint8) * 255


def _either(rng, *makers):
    return makers[int(rng.integers(len(makers)))](rng)


# -- run folders: weights, model.json, config.json (through shendu.load, then one prediction) -------


@pytest.fixture(scope="module")
def fuzz_run(tmp_path_factory, digits_run) -> tuple[Path, dict[str, bytes]]:
    run = Path(shutil.copytree(digits_run, tmp_path_factory.mktemp("fuzz") / "run"))
    return run, {name: (digits_run / name).read_bytes() for name in ("model.safetensors", "model.json", "config.json")}


def _put(run: Path, good: dict[str, bytes], name: str, data: bytes, checksum: bool) -> None:
    """The good files, then ``data`` as ``name``; ``checksum``: model.json records the SHA-256 of
    the new weights, as a careful tamperer would (so the safetensors reader itself is tried)."""
    for other, content in good.items():
        (run / other).write_bytes(content)
    (run / name).write_bytes(data)
    if checksum:
        model = json.loads(good["model.json"])
        model["weights_sha256"] = hashlib.sha256(data).hexdigest()
        (run / "model.json").write_text(json.dumps(model))


def _load_and_predict(run: Path) -> None:
    assert len(shendu.load(run).predict([DIGIT])[0].top) == 3


def safetensors_parts(data: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def safetensors_bytes(header: dict, body: bytes) -> bytes:
    text = json.dumps(header, allow_nan=True).encode()
    return struct.pack("<Q", len(text)) + text + body


@pytest.mark.parametrize("count", COUNTS)
def test_weights(fuzz_run, count):
    run, good = fuzz_run
    header, body = safetensors_parts(good["model.safetensors"])

    def variant(rng):
        if rng.random() < 0.4:
            what, changed = confused(header, rng)
            return f"header {what}", (safetensors_bytes(changed, body), True)
        what, data = damaged(good["model.safetensors"], rng)
        checksum = rng.random() < 0.8
        return f"{what}{'' if checksum else ', old checksum'}", (data, checksum)

    def attempt(case):
        _put(run, good, "model.safetensors", *case)
        _load_and_predict(run)

    failures = fuzz("weights", count, variant, attempt, RunFolderError, ("model.safetensors", "model.json"))
    assert not failures, report(failures, count)


@pytest.mark.parametrize("name", ["model.json", "config.json"])
@pytest.mark.parametrize("count", COUNTS)
def test_run_folder_json(fuzz_run, name, count):
    run, good = fuzz_run
    document = json.loads(good[name])

    def attempt(data):
        _put(run, good, name, data, checksum=False)
        _load_and_predict(run)

    variant = lambda rng: _either(rng, lambda r: damaged(good[name], r), lambda r: json_variant(document, r))  # noqa: E731
    failures = fuzz(name, count, variant, attempt, RunFolderError, (name,))
    assert not failures, report(failures, count)


# -- training checkpoints -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", COUNTS)
def test_checkpoints(digits_run, tmp_path, count):
    good = (digits_run / "checkpoints" / "last.ckpt").read_bytes()
    state = torch.load(digits_run / "checkpoints" / "last.ckpt", weights_only=True)
    path = tmp_path / "last.ckpt"

    def resaved(rng):
        what, changed = confused(state, rng)
        buffer = __import__("io").BytesIO()
        torch.save(changed, buffer)
        return what, buffer.getvalue()

    def attempt(data):
        path.write_bytes(data)
        assert isinstance(load_checkpoint(path), dict)

    failures = fuzz("checkpoint", count, lambda rng: _either(rng, lambda r: damaged(good, r), resaved), attempt,
                    RunFolderError, ("last.ckpt",))
    assert not failures, report(failures, count)


# -- tokenizer.json of a text run -------------------------------------------------------------------


TEXTS = ["A moving film with a great cast.", "Dull and far too long; I left early.", "<br />The best film of 2024!",
         "Not good, not bad: fine.", "电影很好看", "Worst. Plot. Ever."] * 3


@pytest.mark.parametrize("count", COUNTS)
def test_tokenizer(tmp_path, count):
    path = tmp_path / "tokenizer.json"
    build_tokenizer(TEXTS, "bpe", vocab_size=120, min_frequency=1).save(str(path))
    good = path.read_bytes()
    document = json.loads(good)

    def attempt(data):
        path.write_bytes(data)
        ids = encode(load_tokenizer(path), ["A great film, far too long.", ""], max_length=16)
        assert len(ids) == 2 and all(0 < len(i) <= 16 for i in ids)

    variant = lambda rng: _either(rng, lambda r: damaged(good, r), lambda r: json_variant(document, r))  # noqa: E731
    failures = fuzz("tokenizer.json", count, variant, attempt, RunFolderError, ("tokenizer.json",))
    assert not failures, report(failures, count)


# -- CIFAR-10 python batches ------------------------------------------------------------------------------


ARRAY_CONFUSERS = [np.zeros((2, 3072), np.float32), np.zeros((0, 3072), np.uint8), np.array(["a", "b"]),
                   np.zeros((20, 3, 32, 32), np.uint8), np.array([1.5]), np.full(20, 12), np.zeros((20, 3072), ">u2")]


@pytest.mark.parametrize("count", COUNTS)
def test_cifar_batches(tmp_path, count):
    root = write_cifar_folder(tmp_path / "cifar", per_batch=20, test=20)
    folder = root / "cifar-10-batches-py"
    good = {p.name: p.read_bytes() for p in folder.iterdir()}

    def variant(rng):
        name = sorted(good)[int(rng.integers(len(good)))]
        if rng.random() < 0.5:
            what, data = damaged(good[name], rng)
        else:
            what, entry = confused(pickle.loads(good[name]), rng, CONFUSERS + ARRAY_CONFUSERS)
            data = pickle.dumps(entry, protocol=2)
        return f"{name} {what}", (name, data)

    def attempt(case):
        for name, data in good.items():
            (folder / name).write_bytes(data)
        (folder / case[0]).write_bytes(case[1])
        files = load_cifar10(root)
        for images, labels in (files["train"], files["test"]):
            assert images.dtype == np.uint8 and images.shape[1:] == (3, 32, 32) and labels.shape == (len(images),)
            assert labels.dtype == np.int64 and set(labels.tolist()) <= set(range(10))
        assert len(files["classes"]) == 10 and all(isinstance(c, str) for c in files["classes"])

    failures = fuzz("cifar", count, variant, attempt, DataError, tuple(good))
    assert not failures, report(failures, count)


# -- COCO-style detection data ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", COUNTS)
def test_coco(tmp_path, count):
    folder = tmp_path / "coco"
    folder.mkdir()
    images, boxes = [], []
    for i, (name, size) in enumerate([("a.png", (40, 30)), ("b.png", (32, 32)), ("c.jpg", (48, 40)),
                                      ("d.png", (30, 40)), ("e.bmp", (36, 36))]):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (size[1], size[0], 3), np.uint8)).save(folder / name)
        images.append({"id": i + 1, "file_name": name, "width": size[0], "height": size[1]})
        boxes.append({"id": 100 + i, "image_id": i + 1, "category_id": 1 + i % 2, "bbox": [2, 3, 10.5, 12]})
    document = {"images": images, "annotations": boxes, "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
    (folder / "annotations.json").write_text(json.dumps(document))
    good = {p.name: p.read_bytes() for p in folder.iterdir()}

    def variant(rng):
        if rng.random() < 0.6:
            what, data = _either(rng, lambda r: damaged(good["annotations.json"], r), lambda r: json_variant(document, r))
            return f"annotations.json {what}", ("annotations.json", data)
        name = sorted(good)[int(rng.integers(len(good)))]
        what, data = damaged(good[name], rng)
        return f"{name} {what}", (name, data)

    def attempt(case):
        for name, data in good.items():
            (folder / name).write_bytes(data)
        (folder / case[0]).write_bytes(case[1])
        bundle = coco_bundle(folder, image_size=64)
        for split in (bundle.train, bundle.val, bundle.test):
            for index in range(len(split)):
                image, target = split[index]
                assert image.shape[0] == 3 and target["boxes"].shape[1] == 4

    failures = fuzz("coco", count, variant, attempt, DataError, tuple(good))
    assert not failures, report(failures, count)


# -- audio and images given to predict ----------------------------------------------------------------------


@pytest.mark.parametrize("count", COUNTS)
def test_audio(tmp_path, count):
    wave = np.sin(np.linspace(0, 400, 4000)).astype(np.float32)
    bases = {}
    for name, rate, subtype, channels in [("pcm16.wav", 16000, "PCM_16", 1), ("float.wav", 22050, "FLOAT", 2),
                                          ("pcm8.wav", 8000, "PCM_U8", 1)]:
        soundfile.write(tmp_path / name, np.stack([wave] * channels, axis=1), rate, subtype=subtype)
        bases[name] = (tmp_path / name).read_bytes()

    def variant(rng):
        name = sorted(bases)[int(rng.integers(len(bases)))]
        what, data = damaged(bases[name], rng)
        return f"{name} {what}", data

    def attempt(data):
        (tmp_path / "clip.wav").write_bytes(data)
        audio = read_audio(tmp_path / "clip.wav")
        assert audio.ndim == 1 and audio.dtype == np.float32 and len(audio) > 0 and np.isfinite(audio).all()

    for data in bases.values():  # the undamaged files load, and the first resampling's one-off set-up
        attempt(data)            # (seconds on a busy machine) does not count against a variant's time
    failures = fuzz("audio", count, variant, attempt, InputError, ("clip.wav",))
    assert not failures, report(failures, count)


@pytest.mark.parametrize("count", COUNTS)
def test_images(tmp_path, count):
    pixels = np.random.default_rng(0).integers(0, 255, (12, 16, 4), np.uint8)
    bases = {}
    for name, mode in [("a.png", "L"), ("b.png", "RGBA"), ("c.jpg", "RGB"), ("d.bmp", "RGB"), ("e.gif", "P"),
                       ("f.tiff", "RGB"), ("g.webp", "RGB")]:
        Image.fromarray(pixels).convert(mode).save(tmp_path / name)
        bases[name] = (tmp_path / name).read_bytes()
    rgb = ImageSpec(channels=3, height=8, width=8, mean=(0.5,) * 3, std=(0.5,) * 3)
    gray = ImageSpec(channels=1, height=8, width=8, mean=(0.5,), std=(0.5,), invert="auto")

    def variant(rng):
        name = sorted(bases)[int(rng.integers(len(bases)))]
        what, data = damaged(bases[name], rng)
        return f"{name} {what}", data

    def attempt(data):
        (tmp_path / "picture").write_bytes(data)
        image = read_image(tmp_path / "picture")
        assert image_to_tensor(image, rgb).shape == (3, 8, 8)
        assert image_to_unit_tensor(image, gray).shape == (1, image.height, image.width)

    failures = fuzz("images", count, variant, attempt, InputError, ("picture",))
    assert not failures, report(failures, count)


# -- size bombs: a small file that claims a huge size is refused before anything that size is made --------


def _png(width: int, height: int, rows: bool) -> bytes:
    """A greyscale PNG that claims ``width`` x ``height``: with ``rows``, valid and all black
    (small on disk, huge decoded); without, a header alone."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(b"\x00" * (width + 1)) for _ in range(height)) + compressor.flush() if rows else b""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + (chunk(b"IDAT", idat) if rows else b"") + chunk(b"IEND", b"")


def _wav(channels: int, rate: int, data_bytes: int, body: bytes = b"\x00" * 64) -> bytes:
    """A PCM16 wav whose header claims ``channels``, ``rate`` and ``data_bytes`` of samples."""
    fmt = struct.pack("<HHIIHH", 1, channels, rate, min(rate * channels * 2, 2**32 - 1), min(channels * 2, 2**16 - 1), 16)
    chunks = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data_bytes) + body
    return b"RIFF" + struct.pack("<I", min(len(chunks), 2**32 - 1)) + chunks


def _huge_tensor(run: Path, good: dict[str, bytes], tmp_path: Path) -> None:
    _, body = safetensors_parts(good["model.safetensors"])
    header = {"fc1.weight": {"dtype": "F32", "shape": [100_000, 100_000], "data_offsets": [0, 40_000_000_000]}}
    _put(run, good, "model.safetensors", safetensors_bytes(header, body), checksum=True)
    _load_and_predict(run)


def _huge_header(run: Path, good: dict[str, bytes], tmp_path: Path) -> None:
    _put(run, good, "model.safetensors", struct.pack("<Q", 2**60) + good["model.safetensors"][8:], checksum=True)
    _load_and_predict(run)


def _deep_config(run: Path, good: dict[str, bytes], tmp_path: Path) -> None:
    _put(run, good, "config.json", b"[" * 100_000 + b"]" * 100_000, checksum=False)
    _load_and_predict(run)


def _huge_checkpoint(run: Path, good: dict[str, bytes], tmp_path: Path) -> None:
    """A checkpoint whose pickle says its 4-float storage holds 10**9 floats, of shape (10**9,)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    torch.save({"w": torch.zeros(4)}, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(tmp_path / "last.ckpt", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("data.pkl"):  # BININT1 4 (numel; size) -> BININT 10**9
                data = data.replace(b"K\x04t", b"J\x00\xca\x9a\x3bt").replace(b"K\x04\x85", b"J\x00\xca\x9a\x3b\x85")
            target.writestr(item.filename, data)
    load_checkpoint(tmp_path / "last.ckpt")


def _huge_png(side: int, rows: bool):
    def load(run: Path, good: dict[str, bytes], tmp_path: Path) -> None:
        (tmp_path / "bomb.png").write_bytes(_png(side, side, rows))
        read_image(tmp_path / "bomb.png")

    return load


def _huge_wav(channels: int, rate: int, size: int):
    def load(run: Path, good: dict[str, bytes], tmp_path: Path) -> None:
        (tmp_path / "bomb.wav").write_bytes(_wav(channels, rate, size))
        read_audio(tmp_path / "bomb.wav")

    return load


def _huge_cifar_array(run: Path, good: dict[str, bytes], tmp_path: Path) -> None:
    from shendu.data.cifar import read_batch

    (tmp_path / "data_batch_1").write_bytes(b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
                                            b"JP\xc3\x00\x00JP\xc3\x00\x00\x86C\x01b\x87R.")  # (50000, 50000)
    read_batch(tmp_path / "data_batch_1")


def _huge_coco_image(run: Path, good: dict[str, bytes], tmp_path: Path) -> None:
    from shendu.data.coco import load_coco_detection

    (tmp_path / "huge.png").write_bytes(_png(20000, 20000, rows=False))
    (tmp_path / "annotations.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "huge.png", "width": 20000, "height": 20000}],
        "annotations": [], "categories": [{"id": 1, "name": "x"}]}))
    load_coco_detection(tmp_path / "annotations.json", tmp_path)


# case: (load, the error that refuses it; None: libsndfile reads what the file holds, whatever its header claims)
BOMBS = {
    "safetensors tensor of 10**10 floats": (_huge_tensor, RunFolderError),
    "safetensors header of 2**60 bytes": (_huge_header, RunFolderError),
    "config.json nested 100,000 deep": (_deep_config, RunFolderError),
    "checkpoint storage of 10**9 floats": (_huge_checkpoint, RunFolderError),
    "png 20000x20000 header": (_huge_png(20000, rows=False), InputError),
    "png 8000x8000": (_huge_png(8000, rows=True), InputError),
    "wav of 4 GB": (_huge_wav(1, 16000, 2**32 - 2), None),
    "wav of 65535 channels": (_huge_wav(65535, 16000, 2**31), None),
    "wav at 4 GHz": (_huge_wav(1, 2**32 - 1, 2**31), None),
    "cifar array of 2.5 GB": (_huge_cifar_array, DataError),
    "coco image 20000x20000": (_huge_coco_image, DataError),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_size_bombs_are_refused_without_allocating_them(fuzz_run, tmp_path, case):
    """Under a limit of 512 MiB more address space than the process holds: each is refused (or,
    for wavs, read as the few samples the file really holds)."""
    from tests.reliability.fuzzing import outcome

    load, expected = BOMBS[case]

    def attempt():
        load(*fuzz_run, tmp_path)
        if expected is not None:
            pytest.fail(f"{case} was loaded")

    problem = outcome(attempt, expected or InputError, extra=512 * 2**20)
    assert problem is None, problem


# -- what the fuzz found, kept as plain cases --------------------------------------------------------------


def test_an_edited_input_size_that_the_model_cannot_take_is_a_run_folder_error(fuzz_run):
    run, good = fuzz_run
    model = json.loads(good["model.json"])
    model["input"]["width"] = 255
    _put(run, good, "model.json", json.dumps(model).encode(), checksum=False)
    with pytest.raises(RunFolderError, match=r"model.json: the model failed on inputs of the shape its `input` gives "
                                             r"\(1x8x255\): mat1 and mat2 shapes cannot be multiplied"):
        _load_and_predict(run)


def test_a_float_wav_holding_nan_is_refused(tmp_path):
    wave = np.zeros(4000, np.float32)
    wave[100] = np.nan
    soundfile.write(tmp_path / "clip.wav", wave, 16000, subtype="FLOAT")
    with pytest.raises(InputError, match="clip.wav holds samples that are not finite numbers"):
        read_audio(tmp_path / "clip.wav")


def test_a_bpe_merge_making_a_token_the_vocabulary_lacks_is_refused_without_a_panic(tmp_path, capfd):
    tokenizer = json.loads(build_tokenizer(TEXTS, "bpe", vocab_size=120, min_frequency=1).to_str())
    del tokenizer["model"]["vocab"]["moving"]  # tokenizers itself panics (a Rust panic, printed to stderr)
    (tmp_path / "tokenizer.json").write_text(json.dumps(tokenizer))
    with pytest.raises(RunFolderError, match=r"tokenizer.json `model.merges\[\d+\]` makes the token 'moving', which "
                                             "`model.vocab` lacks"):
        load_tokenizer(tmp_path / "tokenizer.json")
    assert "panicked" not in capfd.readouterr().err


@pytest.mark.parametrize("content", [b"{oops", b"[1, 2]", b'{"forecasts": [[1, 2], [3]]}', b'{"forecasts": "x"}',
                                     b"[" * 100_000])
def test_damaged_baseline_forecasts_of_a_forecaster_run_are_refused(tmp_path, content):
    from shendu.data.series import _saved_forecasts

    (tmp_path / "baselines.json").write_bytes(content)
    with pytest.raises(RunFolderError, match="baselines.json must hold the baseline forecasts `shendu train` wrote"):
        _saved_forecasts(tmp_path / "baselines.json")
    (tmp_path / "baselines.json").write_text('{"forecasts": [[1, 2], [3, 4]]}')
    assert _saved_forecasts(tmp_path / "baselines.json").shape == (2, 2)
