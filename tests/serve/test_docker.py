"""The Dockerfile, executed without a Docker engine: its start step (ENTRYPOINT + CMD with its
ENV) and its HEALTHCHECK run here against a real run folder; under `make test-slow` its
install steps run too, in a fresh virtual environment."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.serve.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` per Dockerfile instruction, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def exec_form(arguments: str) -> list[str]:
    import json

    return json.loads(arguments)


def env_and_args() -> tuple[dict[str, str], dict[str, str]]:
    env, args = {}, {}
    for word, rest in instructions():
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
        elif word == "ARG":
            key, _, value = rest.partition("=")
            args[key] = value
    return env, args


def test_dockerfile_is_slim_non_root_cpu_torch_with_a_healthcheck():
    steps = instructions()
    words = [w for w, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert "USER" in words and words.index("USER") < words.index("ENTRYPOINT")
    user = dict(steps)["USER"]
    assert user not in ("root", "0")
    _, args = env_and_args()
    assert args["TORCH_INDEX"] == "https://download.pytorch.org/whl/cpu"
    health = dict(steps)["HEALTHCHECK"]
    assert "/health" in health and "--interval" in health
    assert exec_form(dict(steps)["ENTRYPOINT"])[:2] == ["shendu", "serve"]


def start_command(run: Path, port: int) -> tuple[list[str], list[str], dict[str, str]]:
    """The container's start step and health check, pointed at ``run`` and ``port``."""
    steps = dict(instructions())
    command = exec_form(steps["ENTRYPOINT"]) + exec_form(steps["CMD"])
    command = [str(run) if c == "/models/run" else str(port) if c == "8000" else c for c in command]
    health = exec_form(steps["HEALTHCHECK"].split(" CMD ", 1)[1])
    health = [c.replace(":8000/", f":{port}/") for c in health]
    env, _ = env_and_args()
    return command, health, env


def run_container_steps(bin_dir: Path, run: Path) -> None:
    """Start the service as the container would, wait for its HEALTHCHECK to pass, predict, then
    stop it with SIGTERM (what `docker stop` sends) and check it exits cleanly."""
    port = free_port()
    command, health, env = start_command(run, port)
    command[0] = str(bin_dir / command[0])
    health[0] = str(bin_dir / health[0]) if health[0] == "python" else health[0]
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        deadline = time.monotonic() + 180
        while subprocess.run(health, capture_output=True).returncode != 0:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the HEALTHCHECK never passed"
            time.sleep(0.3)
        url = f"http://127.0.0.1:{port}"
        while httpx.get(f"{url}/ready").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        (model,) = httpx.get(f"{url}/v1/models").json()["models"]
        answer = httpx.post(f"{url}/v1/models/{model['name']}/predict", json={"numbers": [0.0, 1.0]})
        assert answer.status_code == 200 and len(answer.json()["predictions"]) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    # uvicorn finishes its shutdown, then re-raises the signal so supervisors see it ended by SIGTERM
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Finished server process" in output
    assert "0.0.0.0" in output  # bound as the container needs


def test_the_containers_start_step_and_healthcheck_run(xor_run):
    run_container_steps(Path(sys.executable).parent, xor_run)


@pytest.mark.slow
def test_the_dockerfiles_install_steps_build_a_working_service(xor_run, tmp_path):
    """Every RUN pip step in a fresh venv (the torch index pointed at this machine's mirror,
    ``SHENDU_TORCH_INDEX``, as no network reaches download.pytorch.org here), then the start step."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    _, args = env_and_args()
    args["TORCH_INDEX"] = os.environ.get("SHENDU_TORCH_INDEX", "file:///opt/pypi-more/simple")
    workdir = tmp_path / "app"
    workdir.mkdir()
    for word, rest in instructions():
        if word == "COPY":
            *sources, target = rest.split()
            for source in sources:
                destination = workdir / (target if target != "./" else "")
                subprocess.run(["cp", "-r", str(ROOT / source), str(destination)], check=True)
        if word == "RUN" and rest.startswith("pip "):
            step = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], rest)
            result = subprocess.run([str(venv / "bin" / "python"), "-m", *shlex.split(step)], cwd=workdir,
                                    capture_output=True, text=True, timeout=1800)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    run_container_steps(venv / "bin", xor_run)
