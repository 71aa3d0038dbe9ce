"""`shendu serve` as users start it: its own process, real sockets, signals."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import httpx

from tests.serve.conftest import free_port


def start(run, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "shendu", "serve", str(run), "--port", str(port), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    statuses = []
    while True:
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "not ready in 120 s"
        try:
            statuses.append(httpx.get(f"{url}/ready", timeout=2).status_code)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        if statuses[-1] == 200:
            return process, url
        time.sleep(0.01)


def test_sigterm_under_load_finishes_every_in_flight_request(xor_run):
    # a long batch timeout keeps the first requests waiting in the batcher when SIGTERM arrives
    process, url = start(xor_run, "--batch-timeout-ms", "1500", "--max-batch-size", "64")
    name = xor_run.name
    answers: list[int] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            response = httpx.post(f"{url}/v1/models/{name}/predict", json={"numbers": [0.0, 1.0]}, timeout=30)
            answers.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # every request sent, all waiting in the batch
    metrics_before = httpx.get(f"{url}/metrics").text
    assert "shendu_queue_depth" in metrics_before
    process.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(60)
    output = process.communicate(timeout=60)[0]
    assert not errors, errors
    assert answers == [200] * 16, answers
    # uvicorn finishes its shutdown, then re-raises the signal so supervisors see it ended by SIGTERM
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Finished server process" in output
    assert "Traceback" not in output


def test_the_page_the_schema_and_the_docs_are_served(xor_run):
    process, url = start(xor_run)
    try:
        page = httpx.get(f"{url}/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        schema = httpx.get(f"{url}/openapi.json").json()
        assert "/v1/models/{name}/predict" in schema["paths"] and "/predict" in schema["paths"]
        assert httpx.get(f"{url}/docs").status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


def test_two_workers_each_serve(xor_run):
    process, url = start(xor_run, "--workers", "2")
    try:
        name = xor_run.name
        answered, deadline = 0, time.monotonic() + 60
        while answered < 6:  # /ready came from one worker; the other may still be loading (503, Retry-After)
            status = httpx.post(f"{url}/v1/models/{name}/predict", json={"numbers": [1.0, 1.0]}).status_code
            assert status in (200, 503) and time.monotonic() < deadline, status
            answered += status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    # uvicorn finishes its shutdown, then re-raises the signal so supervisors see it ended by SIGTERM
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Finished server process" in output
