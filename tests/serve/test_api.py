"""`shendu serve`'s HTTP API, in-process (FastAPI's TestClient runs the real app with its
lifespan): every kind served, predictions equal to `shendu.load`'s, the documents' contract,
the token, the metrics, and a corpus of bad requests answered with the right 4xx."""

from __future__ import annotations

import base64
import io
import json
import shutil
import struct
import subprocess
import threading
import time
import zlib

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import shendu
from shendu.serve.app import create_app
from shendu.serve.config import ServeConfig
from tests.conftest import run_cli
from tests.serve.conftest import b64, png_bytes


def wait_ready(client: TestClient, headers: dict | None = None) -> None:
    deadline = time.monotonic() + 120
    while client.get("/ready", headers=headers or {}).status_code != 200:
        assert time.monotonic() < deadline, client.get("/ready", headers=headers or {}).text
        time.sleep(0.05)


@pytest.fixture(scope="module")
def runs(mnist_run, xor_run, attention_run, det_run):
    return {"image": mnist_run, "vector": xor_run, "text": attention_run, "detect": det_run}


@pytest.fixture(scope="module")
def client(runs):
    app = create_app(ServeConfig(runs=[str(r) for r in runs.values()], max_inputs=8))
    with TestClient(app) as client:
        wait_ready(client)
        yield client


def digit(value: int = 1, size: int = 28, mode: str = "L") -> Image.Image:
    """A white digit-like stroke on black (MNIST's way)."""
    pixels = np.zeros((size, size), dtype=np.uint8)
    if value == 1:
        pixels[4:24, 13:16] = 255
    else:
        pixels[6:9, 8:20] = 255
        pixels[6:22, 17:20] = 255
    return Image.fromarray(pixels).convert(mode) if mode != "L" else Image.fromarray(pixels)


def probabilities(prediction: dict) -> dict[str, float]:
    return {entry["label"]: entry["probability"] for entry in prediction["top"]}


# -- what is served -----------------------------------------------------------------------------


def test_models_lists_every_run_with_what_it_reads(client, runs):
    models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    assert set(models) == {run.name for run in runs.values()}
    image = models[runs["image"].name]
    assert image["recipe"] == "mnist-cnn" and image["task"] == "image-classification"
    assert image["input_field"] == "image" and image["labels"] == [str(d) for d in range(10)]
    assert image["metrics"]["test_acc"] == json.loads((runs["image"] / "metrics.json").read_text())["test_acc"]
    assert image["options"] == ["top_k"]
    text = models[runs["text"].name]
    assert text["input_field"] == "text" and text["attention"] is True and text["options"] == ["explain"]
    assert models[runs["vector"].name]["input_field"] == "numbers"
    assert models[runs["detect"].name]["options"] == ["score_threshold"]
    assert client.get(f"/v1/models/{runs['image'].name}").json()["name"] == runs["image"].name


def test_image_predictions_equal_shendu_load_json_multipart_and_batch(client, runs):
    predictor = shendu.load(runs["image"])
    images = [digit(1), digit(7), digit(1, size=56, mode="RGB")]
    expected = [r.to_dict() for r in predictor.predict(images, top_k=10)]
    name = runs["image"].name
    one = client.post(f"/v1/models/{name}/predict", json={"image": b64(png_bytes(images[0])), "top_k": 10})
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["model"] == name and body["task"] == "image-classification" and body["latency_ms"] > 0
    batch = client.post(f"/v1/models/{name}/predict",
                        json={"inputs": [{"image": b64(png_bytes(im))} for im in images], "top_k": 10}).json()
    files = [("file", (f"d{i}.png", png_bytes(im), "image/png")) for i, im in enumerate(images)]
    multipart = client.post(f"/v1/models/{name}/predict", files=files, data={"top_k": "10"}).json()
    for answer in (body["predictions"], batch["predictions"], multipart["predictions"]):
        for got, want in zip(answer, expected, strict=False):
            assert probabilities(got).keys() == probabilities(want).keys()
            assert max(abs(probabilities(got)[k] - probabilities(want)[k]) for k in probabilities(want)) <= 1e-5
    assert len(batch["predictions"]) == 3 and batch["batch_size"] == 3
    # a data: URL (what a canvas gives) reads the same
    data_url = "data:image/png;base64," + b64(png_bytes(images[0]))
    again = client.post(f"/v1/models/{name}/predict", json={"image": data_url, "top_k": 10}).json()
    assert again["predictions"][0]["top"] == body["predictions"][0]["top"]


@pytest.mark.parametrize("mode", ["RGBA", "CMYK", "I;16", "P", "1"])
def test_every_image_mode_is_read(client, runs, mode):
    image = digit(1).convert(mode) if mode != "I;16" else Image.fromarray(np.asarray(digit(1), np.uint16) * 257)
    fmt = "TIFF" if mode == "CMYK" else "PNG"
    response = client.post(f"/v1/models/{runs['image'].name}/predict", json={"image": b64(png_bytes(image, fmt))})
    assert response.status_code == 200, response.text
    if mode in ("I;16", "RGBA", "P", "1"):  # the same picture: the same answer as the 8-bit one
        plain = client.post(f"/v1/models/{runs['image'].name}/predict", json={"image": b64(png_bytes(digit(1)))})
        assert response.json()["predictions"][0]["top"][0] == plain.json()["predictions"][0]["top"][0]


def test_text_vector_and_detector_runs_answer_like_shendu_load(client, runs):
    text = client.post(f"/v1/models/{runs['text'].name}/predict",
                       json={"text": "A wonderful, moving film.", "explain": 3}).json()["predictions"][0]
    expected = shendu.load(runs["text"]).predict(["A wonderful, moving film."], explain=3)[0].to_dict()
    assert text["sentiment"] == expected["sentiment"] and len(text["attention"]) == 3
    assert abs(text["confidence"] - expected["confidence"]) <= 1e-5
    vector = client.post(f"/v1/models/{runs['vector'].name}/predict", json={"numbers": [0.0, 1.0], "top_k": 2}).json()
    assert vector["predictions"][0]["top"] == shendu.load(runs["vector"]).predict([[0.0, 1.0]], top_k=2)[0].top
    canvas = Image.new("L", (128, 128))
    canvas.paste(digit(7, size=40), (20, 30))
    detections = client.post(f"/v1/models/{runs['detect'].name}/predict",
                             json={"image": b64(png_bytes(canvas)), "score_threshold": 0.0}).json()
    want = shendu.load(runs["detect"]).predict([canvas], score_threshold=0.0)[0].to_dict()
    assert detections["predictions"][0]["detections"] == want["detections"] and want["detections"]


def test_the_documents_flask_contract(client, runs):
    answer = client.post("/predict", files={"image": ("digit.png", png_bytes(digit(1)), "image/png")})
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"predicted_class", "confidence", "status"} and body["status"] == "success"
    best = shendu.load(runs["image"]).predict([digit(1)], top_k=1)[0].top[0]
    assert body["predicted_class"] == int(best["label"]) and abs(body["confidence"] - best["probability"]) <= 1e-5
    missing = client.post("/predict", files={"photo": ("d.png", png_bytes(digit(1)), "image/png")})
    assert missing.status_code == 400 and missing.json() == {"error": missing.json()["error"], "status": "error"}
    assert "No image provided" in missing.json()["error"]
    not_image = client.post("/predict", files={"image": ("notes.txt", b"just some words", "text/plain")})
    assert not_image.status_code == 415 and not_image.json()["status"] == "error"
    other = client.post(f"/predict?model={runs['text'].name}", files={"image": ("d.png", png_bytes(digit(1)))})
    assert other.status_code == 404


# -- bad requests: the right 4xx, the service unharmed -------------------------------------------


def huge_png(side: int = 20000) -> bytes:
    """A real, valid greyscale PNG of side x side black pixels (~400 kB compressed, 400 MB decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = huge_png()
    width, height = struct.unpack(">II", data[16:24])  # a well-formed PNG: signature, IHDR, IDAT, IEND
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and (width, height) == (20000, 20000)
    assert len(data) < 2_000_000  # small on the wire, 400 MB once decoded: Pillow itself calls it a bomb
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))
    return data


def bad_requests(runs, bomb):
    image, text = runs["image"].name, runs["text"].name
    url = f"/v1/models/{image}/predict"
    png = png_bytes(digit(1))
    return [
        ("empty JSON body", "post", url, {"content": b"", "headers": {"content-type": "application/json"}}, 400),
        ("no content type", "post", url, {"content": b"abc"}, 415),
        ("text/plain body", "post", url, {"content": b"abc", "headers": {"content-type": "text/plain"}}, 415),
        ("not JSON", "post", url, {"content": b"{nope", "headers": {"content-type": "application/json"}}, 400),
        ("JSON list", "post", url, {"json": [1, 2]}, 422),
        ("unknown field", "post", url, {"json": {"picture": "abc"}}, 422),
        ("no input", "post", url, {"json": {}}, 422),
        ("wrong input kind", "post", url, {"json": {"text": "hello"}}, 422),
        ("two inputs in one item", "post", url, {"json": {"image": b64(png), "text": "x"}}, 422),
        ("inputs and top level", "post", url, {"json": {"image": b64(png), "inputs": [{"image": b64(png)}]}}, 422),
        ("not base64", "post", url, {"json": {"image": "%%% not base64 %%%"}}, 422),
        ("a path, not bytes", "post", url, {"json": {"image": "/etc/passwd"}}, 415),  # read as base64: not an image
        ("base64 of text", "post", url, {"json": {"image": b64(b"hello world")}}, 415),
        ("truncated PNG", "post", url, {"json": {"image": b64(png[: len(png) // 2])}}, 422),
        ("empty file", "post", url, {"files": {"file": ("e.png", b"", "image/png")}}, 422),
        ("text file as image", "post", url, {"files": {"file": ("a.txt", b"words", "text/plain")}}, 415),
        ("multipart without file", "post", url, {"files": {"other": ("a.png", png, "image/png")}}, 400),
        ("decompression bomb", "post", url, {"files": {"file": ("bomb.png", bomb, "image/png")}}, 422),
        ("top_k 0", "post", url, {"json": {"image": b64(png), "top_k": 0}}, 422),
        ("top_k a string", "post", url, {"json": {"image": b64(png), "top_k": "three"}}, 422),
        ("explain on an image model", "post", url, {"json": {"image": b64(png), "explain": 2}}, 422),
        ("NaN", "post", f"/v1/models/{runs['vector'].name}/predict",
         {"content": b'{"numbers": [NaN, 1]}', "headers": {"content-type": "application/json"}}, 422),
        ("Infinity", "post", f"/v1/models/{runs['vector'].name}/predict",
         {"content": b'{"numbers": [Infinity]}', "headers": {"content-type": "application/json"}}, 422),
        ("1e999", "post", f"/v1/models/{runs['vector'].name}/predict",
         {"content": b'{"numbers": [1e999]}', "headers": {"content-type": "application/json"}}, 422),
        ("too few numbers", "post", f"/v1/models/{runs['vector'].name}/predict", {"json": {"numbers": [1]}}, 422),
        ("empty text", "post", f"/v1/models/{text}/predict", {"json": {"text": ""}}, 422),
        ("binary text", "post", f"/v1/models/{text}/predict", {"json": {"text": "\x00\x01\x02"}}, 422),
        ("too many inputs", "post", url, {"json": {"inputs": [{"image": b64(png)}] * 9}}, 413),
        ("too many files", "post", url, {"files": [("file", (f"{i}.png", png, "image/png")) for i in range(9)]}, 413),
        ("50 MB body", "post", url, {"content": b"x" * (50 * 1024 * 1024),
                                     "headers": {"content-type": "application/json"}}, 413),
        ("unknown model", "post", "/v1/models/nope/predict", {"json": {"image": b64(png)}}, 404),
        ("model name climbing out", "post", "/v1/models/..%2F..%2Fetc/predict", {"json": {"text": "x"}}, 404),
        ("unknown route", "get", "/v2/everything", {}, 404),
        ("GET on predict", "get", url, {}, 405),
    ]


def test_bad_requests_get_the_right_4xx_and_health_stays_up(client, runs, bomb):
    for name, method, url, kwargs, status in bad_requests(runs, bomb):
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == status, (name, response.status_code, response.text[:300])
        body = response.json()
        assert body["status"] == "error" and len(body["error"]) > 20, (name, body)
        assert "Traceback" not in body["error"]
        assert client.get("/health").json() == {"status": "ok"}
    # and it still predicts
    assert client.post(f"/v1/models/{runs['image'].name}/predict",
                       json={"image": b64(png_bytes(digit(1)))}).status_code == 200


def test_one_bad_input_in_a_batch_fails_only_its_own_request(runs):
    """Concurrent requests batched together: the one with an undecodable input gets 422, the
    others their predictions (the batch is run again request by request)."""
    app = create_app(ServeConfig(runs=[str(runs["vector"])], batch_timeout_ms=200))
    name = runs["vector"].name
    with TestClient(app) as client:
        wait_ready(client)
        answers: dict[int, object] = {}

        def send(i: int) -> None:
            numbers = [0.0, 1.0] if i != 2 else [0.0, 1.0, 1.0]
            answers[i] = client.post(f"/v1/models/{name}/predict", json={"numbers": numbers})

        threads = [threading.Thread(target=send, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert answers[2].status_code == 422 and "2 comma-separated numbers" in answers[2].json()["error"]
    assert all(answers[i].status_code == 200 for i in (0, 1, 3, 4))


# -- token, readiness, metrics, timeouts ----------------------------------------------------------


def test_token_guards_every_route_but_health_and_the_page(runs, monkeypatch):
    monkeypatch.setenv("SHENDU_TOKEN", "s3cret")
    app = create_app(ServeConfig(runs=[str(runs["vector"])]).with_env_token())
    good = {"Authorization": "Bearer s3cret"}
    with TestClient(app) as client:
        wait_ready(client, good)
        assert client.get("/health").status_code == 200
        assert client.get("/").status_code == 200
        for route in ("/v1/models", "/ready", "/metrics", f"/v1/models/{runs['vector'].name}"):
            missing = client.get(route)
            assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
            assert "no Authorization header" in missing.json()["error"]
            wrong = client.get(route, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and "wrong token" in wrong.json()["error"]
            assert client.get(route, headers=good).status_code == 200
        assert client.post("/predict", files={"image": ("d.png", b"x")}).status_code == 401


def test_ready_is_503_until_every_model_is_loaded_and_warmed_up(runs, monkeypatch):
    from shendu.serve.models import ServedModel

    release, warmed = threading.Event(), []
    real_load = ServedModel.load

    def slow_load(self, warmup):
        release.wait(30)
        real_load(self, warmup)
        warmed.append(warmup)

    monkeypatch.setattr(ServedModel, "load", slow_load)
    app = create_app(ServeConfig(runs=[str(runs["vector"]), str(runs["image"])]))
    with TestClient(app) as client:
        not_yet = client.get("/ready")
        assert not_yet.status_code == 503 and set(not_yet.json()["models"].values()) == {"loading"}
        assert client.get("/v1/models").status_code == 503
        predict = client.post(f"/v1/models/{runs['vector'].name}/predict", json={"numbers": [0.0, 1.0]})
        assert predict.status_code == 503 and predict.headers["retry-after"] == "1"
        assert client.get("/health").status_code == 200
        release.set()
        wait_ready(client)
        assert client.get("/ready").json()["models"] == {runs["vector"].name: "ready", runs["image"].name: "ready"}
    assert warmed == [True, True]


def test_a_run_that_fails_to_load_keeps_ready_at_503_with_the_reason(runs, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(runs["vector"], broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    app = create_app(ServeConfig(runs=[str(broken)]))
    with TestClient(app) as client:
        deadline = time.monotonic() + 60
        while client.get("/ready").json()["models"]["broken"] == "loading":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["models"]["broken"].startswith("failed: ")
        assert "SHA-256" in ready.json()["models"]["broken"] or "safetensors" in ready.json()["models"]["broken"]


def test_metrics_count_the_requests_sent(runs):
    from prometheus_client.parser import text_string_to_metric_families

    app = create_app(ServeConfig(runs=[str(runs["vector"])]))
    name = runs["vector"].name
    with TestClient(app) as client:
        wait_ready(client)
        for _ in range(7):
            assert client.post(f"/v1/models/{name}/predict", json={"numbers": [0.0, 1.0]}).status_code == 200
        for _ in range(3):
            assert client.post(f"/v1/models/{name}/predict", json={"numbers": [1]}).status_code == 422
        client.post(f"/v1/models/{name}/predict", json={"inputs": [{"numbers": [0.0, 1.0]}] * 4})
        families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    requests = {(s.labels["route"], s.labels["status"]): s.value for s in families["shendu_requests"].samples
                if s.labels.get("method") == "POST"}
    assert requests[("/v1/models/{name}/predict", "200")] == 8
    assert requests[("/v1/models/{name}/predict", "422")] == 3
    batches = {s.name: s.value for s in families["shendu_batch_size"].samples if s.labels["model"] == name}
    # sequential requests: each its own batch, the bad ones too (their inputs fail inside the model's kind)
    assert batches["shendu_batch_size_count"] == 7 + 3 + 1
    assert batches["shendu_batch_size_sum"] == 7 + 3 + 4
    latency = {s.name: s.value for s in families["shendu_request_latency_seconds"].samples
               if s.labels["route"] == "/v1/models/{name}/predict"}
    assert latency["shendu_request_latency_seconds_count"] == 7 + 3 + 1
    inputs = [s.value for s in families["shendu_predicted_inputs"].samples if s.labels["model"] == name]
    assert inputs == [11.0]
    assert "shendu_queue_depth" in families


def test_a_prediction_past_the_request_timeout_answers_504(runs, monkeypatch):
    from shendu.serve.models import ServedModel

    real_predict = ServedModel.predict

    def slow(self, inputs, options):
        time.sleep(0.5)
        return real_predict(self, inputs, options)

    monkeypatch.setattr(ServedModel, "predict", slow)  # the warm-up calls the predictor, not this
    app = create_app(ServeConfig(runs=[str(runs["vector"])], request_timeout_s=0.1))
    with TestClient(app) as client:
        wait_ready(client)
        response = client.post(f"/v1/models/{runs['vector'].name}/predict", json={"numbers": [0.0, 1.0]})
        assert response.status_code == 504 and "--request-timeout" in response.json()["error"]
        assert client.get("/health").status_code == 200


# -- start-up errors: exit 2, nothing served ------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["/no/such/run"], "no such"),
    (["RUN", "--port", "70000"], "--port must be 0..65535"),
    (["RUN", "--max-batch-size", "0"], "--max-batch-size must be at least 1"),
    (["RUN", "--token", " "], "--token is empty"),
])
def test_serve_refuses_bad_settings_before_binding(runs, args, message):
    result = run_cli("serve", *[str(runs["vector"]) if a == "RUN" else a for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in (result.stdout + result.stderr).lower() or message in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_an_onnx_variant_serves_like_its_parent(client, runs, tmp_path):
    result = run_cli("export", str(runs["image"]), "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    (variant,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    app = create_app(ServeConfig(runs=[str(variant)]))
    image = b64(png_bytes(digit(7)))
    with TestClient(app) as onnx_client:
        wait_ready(onnx_client)
        info = onnx_client.get("/v1/models").json()["models"][0]
        assert info["format"] == "onnx"
        got = onnx_client.post(f"/v1/models/{variant.name}/predict", json={"image": image, "top_k": 10}).json()
    want = client.post(f"/v1/models/{runs['image'].name}/predict", json={"image": image, "top_k": 10}).json()
    a, b = probabilities(got["predictions"][0]), probabilities(want["predictions"][0])
    assert max(abs(a[k] - b[k]) for k in b) <= 1e-4


def test_requests_never_name_files_to_read(client, runs):
    """Only the run folders given at start are served: a request can name none, and an input
    is bytes, never a path the server would open."""
    secret = base64.b64encode(str(runs["image"] / "model.json").encode()).decode()
    response = client.post(f"/v1/models/{runs['image'].name}/predict", json={"image": secret})
    assert response.status_code == 415
    assert client.get(f"/v1/models/{runs['image'] / 'model.json'}").status_code == 404


# -- the other kinds: forecasters, multimodal models, speech ---------------------------------------


@pytest.fixture(scope="module")
def other_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("serve-kinds")
    runs = {}
    for recipe in ("series-lstm", "multimodal"):
        result = run_cli("train", recipe, "--epochs", "1", "--out", str(out / recipe), "--no-progress")
        assert result.returncode == 0, result.stdout + result.stderr
        (runs[recipe],) = (out / recipe).iterdir()
    return runs


def test_a_forecaster_and_a_multimodal_model_answer_like_shendu_load(other_runs):
    series, multimodal = other_runs["series-lstm"], other_runs["multimodal"]
    app = create_app(ServeConfig(runs=[str(series), str(multimodal)]))
    history = [float(300 + i % 12) for i in range(40)]
    image = png_bytes(digit(7, size=8))
    with TestClient(app) as client:
        wait_ready(client)
        fields = {m["name"]: m["input_field"] for m in client.get("/v1/models").json()["models"]}
        assert fields == {series.name: "numbers", multimodal.name: "image"}
        forecast = client.post(f"/v1/models/{series.name}/predict", json={"numbers": history})
        pair = client.post(f"/v1/models/{multimodal.name}/predict",
                           json={"image": b64(image), "caption": "an odd number", "top_k": 2})
        no_caption = client.post(f"/v1/models/{multimodal.name}/predict", json={"image": b64(image)})
        short = client.post(f"/v1/models/{series.name}/predict", json={"numbers": [1.0, 2.0]})
    assert forecast.status_code == 200, forecast.text
    assert forecast.json()["predictions"] == [r.to_dict() for r in shendu.load(series).predict([history])]
    assert pair.status_code == 200, pair.text
    want = shendu.load(multimodal).predict([(Image.open(io.BytesIO(image)), "an odd number")], top_k=2)[0].to_dict()
    got = pair.json()["predictions"][0]
    assert got["top"] == want["top"] and got["caption"] == "an odd number"
    assert no_caption.status_code == 422 and "caption" in no_caption.json()["error"]
    assert short.status_code == 422 and "at least" in short.json()["error"]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (make install installs it)")
def test_a_speech_model_transcribes_an_uploaded_wav_like_shendu_load(speech_run, tmp_path):
    run, _ = speech_run
    wav = tmp_path / "clip.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "four two"], check=True)
    app = create_app(ServeConfig(runs=[str(run)]))
    with TestClient(app) as client:
        wait_ready(client)
        assert client.get("/v1/models").json()["models"][0]["input_field"] == "audio"
        as_json = client.post(f"/v1/models/{run.name}/predict", json={"audio": b64(wav.read_bytes())})
        as_file = client.post(f"/v1/models/{run.name}/predict", files={"file": ("clip.wav", wav.read_bytes())})
        not_audio = client.post(f"/v1/models/{run.name}/predict", files={"file": ("clip.wav", b"RIFF nonsense")})
    want = shendu.load(run).predict([wav])[0].to_dict()
    for answer in (as_json, as_file):
        assert answer.status_code == 200, answer.text
        got = answer.json()["predictions"][0]
        assert {k: v for k, v in got.items() if k != "input"} == {k: v for k, v in want.items() if k != "input"}
    assert not_audio.status_code == 415 and "not audio" in not_audio.json()["error"]
