"""`easy-ecom up` end to end: embedded servers, demo data, a clean stop, data kept, one `up` per DATA_DIR."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.api.conftest import cli_env

START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_using(data_dir: Path) -> list[str]:
    """Command lines of live processes that mention `data_dir` (embedded PostgreSQL and Redis do)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(data_dir) in text and "pytest" not in text:
            found.append(text)
    return found


@contextmanager
def running_up(data_dir: Path, port: int, console_port: int) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`easy-ecom up` until its API is ready; Ctrl-C (SIGINT) on exit, which must end it with code 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "up"],
        cwd=data_dir.parent,
        env=cli_env(DATA_DIR=str(data_dir), API_PORT=str(port), CONSOLE_PORT=str(console_port)),
        stdout=subprocess.PIPE,
        stderr=(data_dir.parent / "up.err").open("a"),
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        assert process.poll() is None, "easy-ecom up ended before it was ready"
        yield process, base
    finally:
        process.send_signal(signal.SIGINT)
        errors = [line for line in (data_dir.parent / "up.err").read_text().splitlines() if not line.startswith("{")]
        assert process.wait(timeout=60) == 0, "\n".join(errors[-20:])


def wait_for(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    """The first answer of `url` while `process` runs."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


def test_up_serves_demo_data_stops_cleanly_and_keeps_its_data(tmp_path: Path) -> None:
    data_dir, port, console_port = tmp_path / "data", free_port(), free_port()
    with running_up(data_dir, port, console_port) as (first, base):
        assert wait_for(f"http://127.0.0.1:{console_port}/", first).status_code == 200
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        assert httpx.get(f"{base}/ready").json()["status"] == "ready"
        assert httpx.get(f"{base}/docs").status_code == 200
        second = subprocess.run(
            [sys.executable, "-m", "api.cli", "up"],
            cwd=tmp_path,
            env=cli_env(DATA_DIR=str(data_dir), API_PORT=str(free_port()), CONSOLE_PORT=str(free_port())),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 2
        assert "another easy-ecom is already running on DATA_DIR" in second.stderr
    first_output = first.stdout.read() if first.stdout else ""
    assert "products" in first_output
    assert "admin / admin123" in first_output
    assert f"console:      http://127.0.0.1:{console_port}" in first_output
    assert processes_using(data_dir) == []

    with running_up(data_dir, port, free_port()) as (again, base):
        assert httpx.get(f"{base}/ready").status_code == 200
    assert "already there" in (again.stdout.read() if again.stdout else "")
    assert processes_using(data_dir) == []
