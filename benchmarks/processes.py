"""The benchmarks' helpers for the processes they start: ports, readiness, CPU used, stopping.

A benchmark runs the bot and the fake services each in a process of its own, so that the CPU
each one uses is measured apart and the load generator does not slow the bot it measures.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_until_up(client: httpx.AsyncClient, url: str, process: subprocess.Popen,
                        seconds: float = 60) -> None:
    """Returns once anything answers at `url` (even 405); fails if `process` exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{' '.join(map(str, process.args))} exited with "
                               f"{process.returncode}")
        try:
            await client.get(url)
            return
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing answered at {url} within {seconds} s")


def cpu_seconds(process: subprocess.Popen) -> float:
    """User and system CPU time of a running child process (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(processes: Iterable[subprocess.Popen]) -> None:
    """SIGINT, so that uvicorn shuts down cleanly (a profile is written on the way out)."""
    processes = list(processes)
    for process in processes:
        process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve_on_loopback(app, port: int, profile: Path | None = None) -> None:
    """Serves `app` with uvicorn on 127.0.0.1:`port` until interrupted; with `profile`, under
    cProfile, writing its statistics there on the way out."""
    import uvicorn

    if profile is None:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        return
    import cProfile

    cProfile.runctx("uvicorn.run(app, host='127.0.0.1', port=port, log_level='warning', "
                    "access_log=False)", globals(), locals(), str(profile))
