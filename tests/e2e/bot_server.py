"""`python -m bot serve` on a free local port, for the browser tests.

    with serving(folder / "bot.db", folder / "server.log") as url:
        ...  # url is "http://127.0.0.1:PORT", answering /healthz
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.environment import child_environment

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`python -m bot serve` exited with {process.returncode}:\n"
                        f"{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"no answer on {url}/healthz after {SERVER_START_SECONDS} s:\n"
                f"{log.read_text(errors='replace')}")


@contextmanager
def serving(db: Path, log: Path) -> Iterator[str]:
    """The URL of `python -m bot serve --db db`, stopped when the block ends; its output
    goes to `log`, which a failed start shows."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--db", str(db)],
            cwd=ROOT, env=child_environment(), stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_bot(*args: str, env: dict[str, str] | None = None) -> str:
    """Runs `python -m bot ARGS` to its end and returns what it printed; fails the test
    with its output when it fails."""
    done = subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT,
                          env=child_environment(**(env or {})),
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"`python -m bot {' '.join(args)}` exited with {done.returncode}:\n"
                    f"{done.stdout}{done.stderr}")
    return done.stdout
