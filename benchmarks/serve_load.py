"""`shendu serve` under load, against the documents' Flask app and LitServe, same model, same
machine, same client, measured in the same run: requests/s, p50 and p99 latency and errors at
several client concurrencies, with each server's requests/s as a ratio of Flask's.

Servers (each a real subprocess on a free loopback port, started in turn, so only one runs while
it is measured; all killed at exit):

* ``shendu``: ``python -m shendu serve RUN --max-batch-size 32`` (``--shendu-args``; uvicorn,
  one process, our asyncio dynamic batcher, one inference thread); ready when ``GET /ready`` is 200.
* ``flask``: benchmarks/flask_baseline.py, the documents' Flask app re-created (one forward pass
  per request, Werkzeug's development server with Flask's defaults, threaded, access log on);
  ready when it answers at all (the model is loaded before it binds).
* ``litserve``: benchmarks/litserve_app.py, LitServe with ``max_batch_size=32``,
  ``batch_timeout=0.005``, CPU, one inference worker, one API server; ready when ``GET /health``
  is 200.

All three read the same model (``shendu.load(RUN).model``) with the same preprocessing (the run's
``image_to_tensor``) and are sent the same request: the documents' contract, ``POST /predict``
with a multipart ``image`` field holding a PNG, answered by ``{"predicted_class", "confidence",
"status": "success"}``. That contract was chosen for the load because it is the one the documents
define and the one each server reads natively (shendu's ``/predict``; Flask's ``request.files``;
LitServe hands the parsed form to ``decode_request``), so no server pays for a transport the
others do not; a request counts as an error unless it answers 200 with ``"status": "success"``.
The PNGs are the run's own test split (the first 64 images of the 1,000 held out), sent in turn.

Load: ``C`` clients in this process's event loop, each with its own keep-alive HTTP/1.1
connection (a minimal client, :class:`Connection`: httpx cost 2-5 ms of client CPU per request
here, as much as the servers' work, on the same cores), each sending its next request as soon as
the previous one is answered, for ``--warmup`` seconds (not counted) then ``--duration`` seconds;
requests/s counts the requests answered inside the measured window, latencies are theirs. The
client shares the machine with the server; the ``client CPU`` column says how many cores it used
(the same client drives every server, so the ratios stay fair, but on a small machine the
absolute figures of a fast server are capped by it). ``mean batch`` is inputs per model call:
from shendu's ``/metrics`` (``shendu_batch_size``), from LitServe's answers (its ``predict``
adds the size of the batch it ran), 1 for Flask by design.

Before the load, two checks: every server's ``/predict`` answers the 64 test images with the
class and confidence ``predictor.predict([image])`` gives in this process (max difference
printed); and batched equals unbatched: the 64 images sent to shendu's
``/v1/models/NAME/predict`` (JSON, ``top_k=10``, so all ten probabilities) by 32 concurrent
clients, so that they run in batches, give the probabilities ``predictor.predict([image],
top_k=10)`` gives one at a time in-process, to 1e-5 (max difference and the batch sizes printed).

Torch threads: on a machine with few cores, torch's OpenMP threads (libgomp, which spin-waits at
every barrier by default) fight the server's other threads and the client for the cores; on the
2-core development machine, with other jobs running, one batch-of-one forward of MNISTNet took
~95 ms instead of ~1 ms in some threads (shendu's inference thread, LitServe's worker) and not in
others (Flask's fresh per-request threads), which decides the comparison by itself. ``--threads 1``
or ``OMP_WAIT_POLICY=PASSIVE`` in the environment (the servers inherit it; the header prints it)
removes that; measure with the one you deploy with and say which.

    python benchmarks/serve_load.py RUN [--duration 10] [--warmup 3] [--concurrency 1,8,32]
        [--servers shendu,flask,litserve] [--threads N] [--quick]

RUN is the run folder of a trained image classifier, e.g. one made by
``shendu train mnist-cnn --epochs 1 --out runs``. Imports: httpx, flask, litserve (and shendu).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
SERVERS = ("shendu", "flask", "litserve")
N_IMAGES = 64
BOUNDARY = "shendu-serve-load-boundary"
TOLERANCE = 1e-5


# -- the servers --------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    command: list[str]
    ready_path: str
    any_answer_is_ready: bool = False  # Flask: the model is loaded before the socket is bound
    port: int = 0
    log: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SHENDU_ARGS = "--max-batch-size 32"  # and shendu serve's defaults for the rest (--batch-timeout-ms ...)


def make_server(name: str, run: str, port: int, threads: int | None, shendu_args: str = SHENDU_ARGS) -> Server:
    python = sys.executable
    thread_flag = ["--threads", str(threads)] if threads else []
    if name == "shendu":  # no --threads option: OMP_NUM_THREADS (set for every server) sets torch's
        return Server(name, [python, "-m", "shendu", "serve", run, "--port", str(port), *shlex.split(shendu_args),
                             "--log-level", "warning"], "/ready", port=port)
    if name == "flask":
        return Server(name, [python, str(HERE / "flask_baseline.py"), run, "--port", str(port), *thread_flag], "/",
                      any_answer_is_ready=True, port=port)
    if name == "litserve":
        return Server(name, [python, str(HERE / "litserve_app.py"), run, "--port", str(port), *thread_flag],
                      "/health", port=port)
    raise SystemExit(f"--servers: unknown server {name!r}; choose from {', '.join(SERVERS)}.")


def start(server: Server, logs: Path, threads: int | None, timeout_s: float = 180.0) -> None:
    """Start ``server`` in its own process group and wait until it says it is ready."""
    env = dict(os.environ)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    server.log = logs / f"{server.name}.log"
    with open(server.log, "wb") as log:
        server.process = subprocess.Popen(server.command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with code {server.process.returncode} before it was "
                               f"ready:\n{tail(server.log)}")
        try:
            answer = httpx.get(server.url + server.ready_path, timeout=2)
            if answer.status_code == 200 or server.any_answer_is_ready:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{server.name} was not ready after {timeout_s:.0f} s:\n{tail(server.log)}")


def stop(server: Server) -> None:
    """SIGTERM to the server's process group (LitServe's API server, inference worker and queue
    manager are in it too), SIGKILL to what is left after 15 s."""
    process = server.process
    if process is None:
        return
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        try:  # the leader is gone; make sure its children are too
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
    server.process = None


def tail(path: Path | None, lines: int = 30) -> str:
    if path is None or not path.is_file():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# -- the inputs ---------------------------------------------------------------------------------


def test_images(predictor: Any, run: str, n: int) -> list[bytes]:
    """The first ``n`` images of the run's test split as PNG bytes (the raw uint8 pixels)."""
    from PIL import Image

    spec = predictor.spec
    if spec.test_data is None:
        raise SystemExit(f"{run} has no test_data in model.json; train the run again with this shendu.")
    test = spec.test_data.build(spec.input, Path(run))
    images = getattr(test, "images", None)
    if images is None:
        raise SystemExit(f"the test split of {run} is not an image array; give an image classifier's run.")
    pngs = []
    for array in images[:n].numpy():
        buffer = io.BytesIO()
        Image.fromarray(array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)).save(buffer, "PNG")
        pngs.append(buffer.getvalue())
    return pngs


def multipart(png: bytes, index: int) -> bytes:
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"digit-{index}.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode()
    return head + png + f"\r\n--{BOUNDARY}--\r\n".encode()


MULTIPART_HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


# -- the checks ---------------------------------------------------------------------------------


def reference(predictor: Any, pngs: list[bytes], top_k: int) -> list[dict[str, float]]:
    """``{label: probability}`` per image, predicted one at a time in this process."""
    from shendu.serve.inputs import image_from_bytes

    out = []
    for i, png in enumerate(pngs):
        result = predictor.predict([image_from_bytes(png, f"digit-{i}.png")], top_k=top_k)[0].to_dict()
        out.append({entry["label"]: entry["probability"] for entry in result["top"]})
    return out


def check_documents_contract(server: Server, bodies: list[bytes], expected: list[dict[str, float]]) -> str:
    """Each image once, one at a time, to ``/predict``: same class and confidence as in-process?"""
    wrong, errors, worst = 0, 0, 0.0
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for body, want in zip(bodies, expected, strict=True):
            answer = client.post("/predict", content=body, headers=MULTIPART_HEADERS)
            data = answer.json() if answer.status_code == 200 else {}
            if data.get("status") != "success":
                errors += 1
                continue
            label, probability = next(iter(want.items()))
            wrong += str(data["predicted_class"]) != label
            worst = max(worst, abs(float(data["confidence"]) - probability))
    verdict = "agree" if wrong == errors == 0 and worst <= TOLERANCE else "DISAGREE"
    return (f"{server.name}: /predict on {len(bodies)} test images vs in-process predict: {verdict} "
            f"({wrong} other classes, {errors} errors, max confidence difference {worst:.2e})")


async def check_batched(server: Server, pngs: list[bytes], expected: list[dict[str, float]],
                        concurrency: int = 32) -> str:
    """The images through shendu's JSON endpoint by ``concurrency`` clients at once (so they are
    batched) against one-at-a-time in-process probabilities."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        name = (await client.get("/v1/models")).json()["models"][0]["name"]
        before = batch_stats(await client.get("/metrics"))
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(pngs)):
            queue.put_nowait(i)
        answers: dict[int, Any] = {}

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                body = {"image": base64.b64encode(pngs[i]).decode(), "top_k": 10}
                answers[i] = await client.post(f"/v1/models/{name}/predict", json=body)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        after = batch_stats(await client.get("/metrics"))
    worst, errors = 0.0, 0
    for i, want in enumerate(expected):
        answer = answers[i]
        if answer.status_code != 200:
            errors += 1
            continue
        got = {e["label"]: e["probability"] for e in answer.json()["predictions"][0]["top"]}
        if set(got) != set(want):
            errors += 1
            continue
        worst = max(worst, max(abs(got[k] - want[k]) for k in want))
    batches, inputs = after[0] - before[0], after[1] - before[1]
    verdict = "equal" if errors == 0 and worst <= TOLERANCE else "NOT EQUAL"
    return (f"batched vs unbatched: {len(pngs)} test images, {concurrency} concurrent clients on "
            f"/v1/models/{name}/predict (top_k=10) ran as {batches:g} batches (mean {inputs / max(batches, 1):.1f} "
            f"inputs); all 10 probabilities vs predictor.predict([image]) "
            f"one at a time: {verdict}, max difference {worst:.2e} (tolerance {TOLERANCE:g}), {errors} errors")


def batch_stats(answer: httpx.Response) -> tuple[float, float]:
    """``(batches, inputs)`` so far, from shendu's ``shendu_batch_size`` histogram."""
    def total(metric: str) -> float:
        return sum(float(v) for v in re.findall(rf"^{metric}\{{[^}}]*\}} (\S+)$", answer.text, re.MULTILINE))

    return total("shendu_batch_size_count"), total("shendu_batch_size_sum")


# -- the load -----------------------------------------------------------------------------------


@dataclass
class Cell:
    server: str
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    mean_batch: float | None
    client_cores: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs a prepared body and reads the answer
    (``Content-Length`` or chunked; reconnects after ``Connection: close`` or a failure).

    The load's client. httpx cost 1.8-4.8 ms of client CPU per request here (more with more
    connections in one pool), as much as the server's own work, on the same two cores; this costs
    ~0.1 ms, so the figures are the servers' and not the client's."""

    def __init__(self, port: int, path: str, content_type: str, timeout_s: float = 60.0) -> None:
        self.port, self.path, self.content_type, self.timeout_s = port, path, content_type, timeout_s
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._post(body), self.timeout_s)
        except BaseException:
            self.close()
            raise

    async def _post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                          f"Content-Type: {self.content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                          + body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {}
        for line in head[1:]:
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
            data = b"".join(parts)
        else:
            data = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection") == "close":
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(server: Server, bodies: list[bytes], concurrency: int, warmup_s: float, duration_s: float) -> Cell:
    latencies: list[float] = []
    errors = 0
    batch_reciprocals = 0.0  # LitServe: sum over answers of 1 / their batch's size = number of batches
    connections = [Connection(server.port, "/predict", MULTIPART_HEADERS["Content-Type"]) for _ in range(concurrency)]
    # /metrics goes through its own connection, so it never takes one of the C clients' turns
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as side:
        started = time.perf_counter()
        window_start, window_end = started + warmup_s, started + warmup_s + duration_s
        marks: dict[str, Any] = {}

        async def worker(k: int) -> None:
            nonlocal errors, batch_reciprocals
            connection, i = connections[k], k
            while time.perf_counter() < window_end:
                body = bodies[i % len(bodies)]
                i += concurrency
                sent = time.perf_counter()
                batch = None
                try:
                    status, raw = await connection.post(body)
                    data = json.loads(raw) if status == 200 else {}
                    ok = data.get("status") == "success"
                    batch = data.get("batch_size")
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError,
                        IndexError):
                    ok = False
                done = time.perf_counter()
                if window_start <= done <= window_end:
                    if ok:
                        latencies.append((done - sent) * 1000)
                        if batch:
                            batch_reciprocals += 1 / batch
                    else:
                        errors += 1
                if not ok:
                    await asyncio.sleep(0.01)  # a dead server must not spin the client

        async def window_marks() -> None:
            await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
            marks["cpu0"], marks["wall0"] = time.process_time(), time.perf_counter()
            if server.name == "shendu":
                marks["m0"] = batch_stats(await side.get("/metrics"))
            await asyncio.sleep(max(0.0, window_end - time.perf_counter()))
            marks["cpu1"], marks["wall1"] = time.process_time(), time.perf_counter()
            if server.name == "shendu":
                marks["m1"] = batch_stats(await side.get("/metrics"))

        try:
            await asyncio.gather(window_marks(), *(worker(k) for k in range(concurrency)))
        finally:
            for connection in connections:
                connection.close()
    mean_batch: float | None = None
    if server.name == "shendu":
        batches, inputs = marks["m1"][0] - marks["m0"][0], marks["m1"][1] - marks["m0"][1]
        mean_batch = inputs / batches if batches else None
    elif server.name == "litserve" and batch_reciprocals:
        mean_batch = len(latencies) / batch_reciprocals
    elif server.name == "flask":
        mean_batch = 1.0
    cores = (marks["cpu1"] - marks["cpu0"]) / (marks["wall1"] - marks["wall0"])
    return Cell(server.name, concurrency, len(latencies), duration_s, latencies, errors, mean_batch, cores)


def table(cells: list[Cell]) -> str:
    flask = {c.concurrency: c.rps for c in cells if c.server == "flask"}
    lines = ["| server | concurrency | requests/s | p50 ms | p99 ms | errors | vs Flask | mean batch | client CPU |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        ratio = f"{c.rps / flask[c.concurrency]:.2f}x" if flask.get(c.concurrency) else "-"
        batch = f"{c.mean_batch:.1f}" if c.mean_batch is not None else "-"
        lines.append(f"| {c.server} | {c.concurrency} | {c.rps:.1f} | {c.percentile(50):.1f} | "
                     f"{c.percentile(99):.1f} | {c.errors} | {ratio} | {batch} | {c.client_cores:.2f} cores |")
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="RUN: e.g. a folder made by `shendu train mnist-cnn --epochs 1 --out runs`")
    parser.add_argument("run", nargs="?", help="the run folder of a trained image classifier (required)")
    parser.add_argument("--duration", type=float, default=None, help="measured seconds per cell (10; --quick: 3)")
    parser.add_argument("--warmup", type=float, default=None, help="unmeasured seconds before each cell (3; --quick: 1)")
    parser.add_argument("--concurrency", default="1,8,32", help="client counts, comma-separated (1,8,32)")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated ({','.join(SERVERS)})")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads in every server (OMP_NUM_THREADS and MKL_NUM_THREADS in their environment, "
                             "plus torch.set_num_threads in Flask's and LitServe's; default: torch's default)")
    parser.add_argument("--quick", action="store_true", help="short cells for a smoke run (3 s + 1 s warm-up)")
    parser.add_argument("--shendu-args", default=SHENDU_ARGS,
                        help=f"options of `shendu serve` (default {SHENDU_ARGS!r}), e.g. '--batch-timeout-ms 5' "
                             "or '--workers 2'")
    args = parser.parse_args()
    if args.run is None or not (Path(args.run) / "model.json").is_file():
        got = "no RUN given" if args.run is None else f"{args.run} has no model.json"
        parser.error(f"RUN must be the run folder of a trained image classifier ({got}); make one with "
                     "`shendu train mnist-cnn --epochs 1 --out runs` and pass runs/mnist-cnn-...")
    duration = args.duration if args.duration is not None else (3.0 if args.quick else 10.0)
    warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    names = [s.strip() for s in args.servers.split(",") if s.strip()]
    for name in names:
        if name not in SERVERS:
            parser.error(f"--servers: unknown server {name!r}; choose from {', '.join(SERVERS)}.")

    import torch

    import shendu

    default_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # this process only computes the references and drives the load
    run = str(Path(args.run).resolve())
    predictor = shendu.load(run)
    if predictor.task != "image-classification":
        parser.error(f"RUN must be an image classifier; {run} is a {predictor.task} run.")
    pngs = test_images(predictor, run, N_IMAGES)
    bodies = [multipart(png, i) for i, png in enumerate(pngs)]
    top1 = reference(predictor, pngs, top_k=1)
    top10 = reference(predictor, pngs, top_k=10) if "shendu" in names else []
    print(f"run {run} ({predictor.config.recipe}, {predictor.spec.num_parameters:,} parameters); "
          f"{len(pngs)} test images as PNG ({statistics.mean(map(len, pngs)):.0f} bytes on average); "
          f"{os.cpu_count()} CPUs, torch {torch.__version__}, torch threads per server: "
          f"{args.threads or f'torch default ({default_threads} here)'}, "
          f"OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset')}; shendu serve {args.shendu_args}; "
          f"{warmup:g} s warm-up + {duration:g} s per cell", flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the finally below runs
    cells: list[Cell] = []
    started: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="serve-load-") as logs:
        try:
            for name in names:
                server = make_server(name, run, free_port(), args.threads, args.shendu_args)
                started.append(server)
                t0 = time.perf_counter()
                start(server, Path(logs), args.threads)
                print(f"\n{name} ready in {time.perf_counter() - t0:.1f} s on {server.url}", flush=True)
                print(check_documents_contract(server, bodies, top1), flush=True)
                if name == "shendu":
                    print(asyncio.run(check_batched(server, pngs, top10)), flush=True)
                for concurrency in concurrencies:
                    cell = asyncio.run(load(server, bodies, concurrency, warmup, duration))
                    cells.append(cell)
                    print(f"  {name} x{concurrency}: {cell.rps:.1f} requests/s, p50 {cell.percentile(50):.1f} ms, "
                          f"p99 {cell.percentile(99):.1f} ms, {cell.errors} errors", flush=True)
                    if server.process is not None and server.process.poll() is not None:
                        raise RuntimeError(f"{name} died during the load:\n{tail(server.log)}")
                stop(server)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None
        finally:
            for server in started:
                stop(server)
    label = "quick run" if args.quick else f"{duration:g} s per cell"
    print(f"\nServing {Path(run).name} ({label}; requests/s in the measured window; vs Flask: ratio of "
          "requests/s at the same concurrency, this run):\n")
    print(table(cells))


if __name__ == "__main__":
    main()
