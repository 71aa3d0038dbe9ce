"""Predictions from a loaded run: top-k classes with probabilities (the documents' predict)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from shendu.data.base import ImageSpec
from shendu.data.images import image_to_tensor, image_to_unit_tensor, read_image
from shendu.errors import InputError
from shendu.runfolder import atomic_write_bytes
from shendu.train.kinds import DETECTION, kind_of_model
from shendu.train.loading import LoadedRun
from shendu.train.plots import draw_detections


def predict_inputs(loaded: LoadedRun, inputs: Sequence[str], top_k: int = 3) -> list[dict[str, Any]]:
    """Classify what a user typed: image paths for image models, ``"x1,x2,..."`` for vector models."""
    if kind_of_model(loaded.spec) is DETECTION:
        raise InputError(f"run {loaded.run.path} is an object detector; use detect_images (the CLI does).")
    kind = loaded.input_spec.get("kind")
    if kind == "image":
        return predict_images(loaded, [Path(i) for i in inputs], top_k)
    if kind == "vector":
        return predict_vectors(loaded, inputs, top_k)
    if kind == "text":
        return predict_texts(loaded, inputs)
    if kind == "series":
        return forecast_values(loaded, inputs)
    if kind == "audio":
        return transcribe_files(loaded, inputs)
    if kind == "multimodal":
        raise InputError(f"run {loaded.run.path} reads an image and a caption together; use predict_pairs "
                         "(the CLI: `shendu predict RUN image.png --caption TEXT`).")
    raise InputError(f"run {loaded.run.path} takes {kind!r} inputs, which predict does not read yet.")


@torch.no_grad()
def predict_vectors(loaded: LoadedRun, inputs: Sequence[str], top_k: int = 3) -> list[dict[str, Any]]:
    """Classify comma-separated feature vectors such as ``"1,0"``."""
    features = int(loaded.input_spec["features"])
    rows = []
    for text in inputs:
        try:
            row = [float(v) for v in text.split(",")]
        except ValueError:
            row = []
        if len(row) != features:
            raise InputError(
                f"INPUT must be {features} comma-separated numbers for this model, like "
                f"{','.join(['1'] * features)}; got {text!r}."
            )
        rows.append(row)
    return _top_k(loaded, list(inputs), torch.tensor(rows, dtype=torch.float32), top_k)


@torch.no_grad()
def predict_images(loaded: LoadedRun, paths: Sequence[Path | str], top_k: int = 3) -> list[dict[str, Any]]:
    """Classify image files; returns one ``{"input", "top": [{"label", "probability"}...]}`` each.

    Raises:
        InputError: a file is missing or not an image, or the run is not an image model.
    """
    spec_dict = loaded.input_spec
    if spec_dict.get("kind") != "image":
        raise InputError(f"run {loaded.run.path} takes {spec_dict.get('kind')} inputs, not image files.")
    spec = ImageSpec.from_dict(spec_dict)
    batch = torch.stack([image_to_tensor(read_image(p), spec) for p in paths])
    return _top_k(loaded, [str(p) for p in paths], batch, top_k)


def _top_k(loaded: LoadedRun, names: list[str], batch: torch.Tensor, top_k: int) -> list[dict[str, Any]]:
    probabilities = torch.softmax(loaded.model(batch), dim=1)
    k = min(top_k, probabilities.shape[1])
    values, indices = probabilities.topk(k, dim=1)
    labels = loaded.labels
    return [
        {"input": name,
         "top": [{"label": labels[int(i)], "probability": round(float(v), 6)} for v, i in zip(vals, idx, strict=True)]}
        for name, vals, idx in zip(names, values, indices, strict=True)
    ]


@torch.no_grad()
def predict_pairs(loaded: LoadedRun, paths: Sequence[Path | str], captions: Sequence[str],
                  top_k: int = 3) -> list[dict[str, Any]]:
    """Read a digit from each image file and its caption with a ``multimodal`` run.

    One caption goes with every image, or one caption per image, in order. Each result holds
    the fused model's ``top`` classes, what the image-only and text-only models trained beside
    it say (``image_only``, ``text_only``: label and probability), and ``caption_words_known``:
    how many distinct words of the caption the model saw in training (0: the caption adds nothing).

    Raises:
        InputError: no caption, a caption count that does not match, an empty or binary caption,
            a missing or non-image file, or a run that is not multimodal.
    """
    from shendu.data.multimodal import IMAGE_SPEC, caption_vectorizer
    from shendu.data.text import check_text

    spec = loaded.input_spec
    if spec.get("kind") != "multimodal":
        raise InputError(f"run {loaded.run.path} takes {spec.get('kind')} inputs, not an image with a caption.")
    if not captions:
        raise InputError(f"run {loaded.run.path} reads an image and a caption together; add --caption TEXT "
                         "(e.g. --caption 'an even number').")
    if len(captions) not in (1, len(paths)):
        raise InputError(f"give one --caption for all images or one per image; got {len(captions)} captions for "
                         f"{len(paths)} images.")
    if not all(isinstance(c, str) and c.strip() for c in captions):
        raise InputError("a --caption is empty; pass a clue about the digit, e.g. --caption 'an even number'.")
    captions = [check_text(c, "--caption") for c in (captions if len(captions) == len(paths) else list(captions) * len(paths))]
    image_spec = ImageSpec.from_dict(spec["image"]) if "image" in spec else IMAGE_SPEC
    images = torch.stack([image_to_tensor(read_image(p), image_spec).reshape(-1) for p in paths])
    vectorizer = caption_vectorizer(list(spec["text_vocabulary"]))
    text = torch.from_numpy(vectorizer.transform(captions).toarray().astype(np.float32))
    words, analyze = set(spec["text_vocabulary"]), vectorizer.build_analyzer()
    results = _top_k(loaded, [str(p) for p in paths], torch.cat([text, images], dim=1), top_k)
    branches = getattr(loaded.model, "branch_logits", {})
    for i, (item, caption) in enumerate(zip(results, captions, strict=True)):
        item["caption"] = caption
        item["caption_words_known"] = len({w for w in analyze(caption) if " " not in w} & words)
        for name in ("image", "text"):
            if name in branches:
                probabilities = torch.softmax(branches[name][i], dim=0)
                best = int(probabilities.argmax())
                item[f"{name}_only"] = {"label": loaded.labels[best], "probability": round(float(probabilities[best]), 6)}
    return results


@torch.no_grad()
def detect_images(loaded: LoadedRun, paths: Sequence[Path | str], score_threshold: float = 0.5,
                  save_dir: Path | str | None = None) -> list[dict[str, Any]]:
    """Find objects in image files with a detection run.

    Returns one ``{"input", "detections": [{"label", "score", "box": [x1, y1, x2, y2]}], "image"}``
    per file (boxes in the file's pixels, best first, ``score >= score_threshold``). With
    ``save_dir``, the image with drawn, labelled boxes is written there as ``<name>.boxes.png``
    (``"image"`` is its path).

    Raises:
        InputError: a file is missing or not an image, or the threshold is not in [0, 1].
    """
    if not 0.0 <= score_threshold <= 1.0:
        raise InputError(f"--score-threshold must be between 0 and 1; got {score_threshold}.")
    spec = ImageSpec.from_dict(loaded.input_spec)
    originals = [read_image(p) for p in paths]  # all read before any output
    results = []
    for path, original in zip(paths, originals, strict=True):
        detection = loaded.model([image_to_unit_tensor(original, spec)])[0]
        keep = detection["scores"] >= score_threshold
        found = [
            {"label": loaded.labels[int(c)], "score": round(float(s), 4), "box": [round(float(v), 1) for v in box]}
            for box, c, s in zip(detection["boxes"][keep], detection["labels"][keep], detection["scores"][keep], strict=True)
        ]
        item: dict[str, Any] = {"input": str(path), "detections": found}
        if save_dir is not None:
            import io

            out = Path(save_dir) / f"{Path(path).stem}.boxes.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            # drawn on the picture as the user gave it (not the inverted, grayscale model input)
            rgb = torch.from_numpy(np.asarray(original.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)
            draw_detections(rgb, detection, loaded.labels, score_threshold).save(buffer, format="PNG")
            atomic_write_bytes(out, buffer.getvalue())
            item["image"] = str(out)
        results.append(item)
    return results


@torch.no_grad()
def predict_texts(loaded: LoadedRun, texts: Sequence[str], explain: int = 0) -> list[dict[str, Any]]:
    """Classify texts: the documents' ``{"sentiment", "confidence", "probabilities"}`` per text
    (``label`` instead of ``sentiment`` when the classes are not negative/positive).

    With ``explain`` > 0 and an attention model, ``"attention"`` lists the ``explain`` tokens
    with the highest attention weight, highest first.

    Raises:
        InputError: a text is empty, binary, or over 100 KB.
    """
    from shendu.data.text import SENTIMENT_LABELS, check_text
    from shendu.data.tokenize import encode, load_tokenizer

    spec = loaded.input_spec
    if spec.get("kind") != "text":
        raise InputError(f"run {loaded.run.path} takes {spec.get('kind')} inputs, not text.")
    texts = [check_text(t) for t in texts]
    tokenizer = load_tokenizer(loaded.run.file(spec["tokenizer"]))
    key = "sentiment" if loaded.labels == SENTIMENT_LABELS else "label"
    results = []
    encoded = encode(tokenizer, texts, int(spec["max_length"]), bool(spec.get("special_tokens", False)), spec.get("head"))
    for text, ids in zip(texts, encoded, strict=True):
        probabilities = torch.softmax(loaded.model(torch.from_numpy(ids)[None]), dim=1)[0]
        best = int(probabilities.argmax())
        item: dict[str, Any] = {
            "text": text if len(text) <= 200 else text[:197] + "...",
            key: loaded.labels[best],
            "confidence": round(float(probabilities[best]), 6),
            "probabilities": {label: round(float(p), 6) for label, p in zip(loaded.labels, probabilities, strict=True)},
        }
        weights = getattr(loaded.model, "last_attention", None)
        if explain > 0:
            if weights is None:
                raise InputError(f"--explain needs a model with attention; run {loaded.run.path} has none "
                                 "(use imdb-lstm-attention, imdb-transformer or reviews-zh).")
            top = weights[0].topk(min(explain, len(ids)))
            item["attention"] = [{"token": tokenizer.id_to_token(int(ids[i])), "weight": round(float(w), 4)}
                                 for w, i in zip(top.values, top.indices, strict=True)]
        results.append(item)
    return results


@torch.no_grad()
def forecast_values(loaded: LoadedRun, inputs: Sequence[str]) -> list[dict[str, Any]]:
    """Forecast the next ``horizon`` values after each input history: ``"v1,v2,..."`` (at least
    ``lookback`` numbers, oldest first) or a file with one value per line (a CSV's last column;
    a header row is skipped). Only the last ``lookback`` values are read."""
    from shendu.data.series import Scaler

    spec = loaded.input_spec
    if spec.get("kind") != "series":
        raise InputError(f"run {loaded.run.path} takes {spec.get('kind')} inputs, not a series.")
    lookback, horizon = int(spec["lookback"]), int(spec["horizon"])
    scaler = Scaler(float(spec["mean"]), float(spec["std"]), bool(spec.get("log", False)))
    results = []
    for text in inputs:
        values = _read_history(text, lookback)
        if scaler.log and min(values) <= 0:
            raise InputError(f"this model forecasts the logarithm of the values, so they must be positive; {text!r} "
                             "holds a value <= 0.")
        x = torch.tensor(scaler.transform(np.asarray(values[-lookback:])), dtype=torch.float32)[None, :, None]
        forecast = scaler.inverse(loaded.model(x).double().numpy()[0])
        results.append({"input": text if len(text) <= 80 else text[:77] + "...", "history_used": lookback,
                        "forecast": [round(float(v), 6) for v in forecast], "horizon": horizon})
    return results


def _read_history(text: str, lookback: int) -> list[float]:
    path = Path(text)
    source = text
    try:
        is_file = "," not in text and path.is_file()
    except OSError:  # e.g. a name too long to be a file: read it as values
        is_file = False
    if is_file:
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        cells = [line.split(",")[-1] for line in lines]
        if cells and not _is_number(cells[0]):
            cells = cells[1:]  # header
        source = f"{path} (last column)"
    else:
        cells = text.split(",")
    if not all(_is_number(c) for c in cells) or len(cells) < lookback:
        raise InputError(f"INPUT must be at least {lookback} numbers, oldest first, as 'v1,v2,...' or a file with one "
                         f"value per line; got {source!r} ({len(cells)} values"
                         f"{'' if all(_is_number(c) for c in cells) else ', not all numbers'}).")
    return [float(c) for c in cells]


def _is_number(text: str) -> bool:
    try:
        return np.isfinite(float(text))
    except ValueError:
        return False


@torch.no_grad()
def transcribe_files(loaded: LoadedRun, paths: Sequence[str]) -> list[dict[str, Any]]:
    """Transcribe audio clips: ``{"input", "transcript" (prefix beam search), "greedy"}`` each."""
    from shendu.data.speech import FeatureSpec, log_mel, read_audio
    from shendu.train.speech import beam_decode, greedy_decode

    spec = loaded.input_spec
    if spec.get("kind") != "audio":
        raise InputError(f"run {loaded.run.path} takes {spec.get('kind')} inputs, not audio.")
    features = FeatureSpec(**spec["features"])
    alphabet, beam = str(spec["alphabet"]), int(spec.get("beam", 8))
    results = []
    for path in paths:
        x = torch.from_numpy(log_mel(read_audio(path, features.sample_rate), features))[None]
        log_probs = loaded.model(x)[0]
        results.append({"input": str(path), "transcript": beam_decode(log_probs, alphabet, beam),
                        "greedy": greedy_decode(log_probs, alphabet)})
    return results
