"""The CLI turns bad configuration into one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

import pytest

from api.launcher import MAX_CRASHES, ChildExited, ChildSpec, Supervisor, child_env, ensure_port_free, local_base_url
from infra.embedded import data_dir_lock
from infra.settings import ConfigError
from tests.api.conftest import RunCli

UNREACHABLE_DATABASE = "postgresql://u:p@127.0.0.1:1/x"
UNUSED_REDIS = "redis://127.0.0.1:1/0"


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("easy-ecom: ")
    return lines[0]


def test_migrate_with_an_unreachable_database_says_so_in_one_line(run_cli: RunCli) -> None:
    result = run_cli("migrate", DATABASE_URL=UNREACHABLE_DATABASE, REDIS_URL=UNUSED_REDIS)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "cannot reach PostgreSQL" in line
    assert "DATABASE_URL" in line


def test_a_malformed_redis_url_is_refused_in_one_line(run_cli: RunCli) -> None:
    result = run_cli("api", REDIS_URL="http://cache.example:6379")
    assert result.returncode == 2
    assert "REDIS_URL" in one_line(result.stderr)


def test_a_port_in_use_is_refused_in_one_line_naming_api_port(run_cli: RunCli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("api", API_PORT=str(port), DATABASE_URL=UNREACHABLE_DATABASE, REDIS_URL=UNUSED_REDIS)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert f"127.0.0.1:{port}" in line
    assert "API_PORT" in line


def test_the_console_refuses_a_port_in_use_naming_console_port(run_cli: RunCli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("console", CONSOLE_PORT=str(port), DATABASE_URL=UNREACHABLE_DATABASE, REDIS_URL=UNUSED_REDIS)
    assert result.returncode == 2
    assert "CONSOLE_PORT" in one_line(result.stderr)


def test_a_console_that_cannot_reach_its_database_ends_the_command_with_its_reason(run_cli: RunCli) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli(
        "console", CONSOLE_PORT=str(port), DATABASE_URL=UNREACHABLE_DATABASE, REDIS_URL=UNUSED_REDIS, timeout=120
    )
    assert result.returncode == 2
    assert "easy-ecom console: cannot reach PostgreSQL" in result.stderr
    assert "easy-ecom: console exited with code 2" in result.stderr


def test_a_data_dir_in_use_is_refused_in_one_line(run_cli: RunCli, tmp_path: Path) -> None:
    data_dir = tmp_path / "busy"
    with data_dir_lock(data_dir):
        result = run_cli("up", DATA_DIR=str(data_dir))
    assert result.returncode == 2
    assert "another easy-ecom is already running on DATA_DIR" in one_line(result.stderr)


def test_the_data_dir_lock_is_exclusive_until_released(tmp_path: Path) -> None:
    with data_dir_lock(tmp_path), pytest.raises(ConfigError, match="already running"), data_dir_lock(tmp_path):
        pass
    with data_dir_lock(tmp_path):
        pass


def test_ensure_port_free_accepts_a_free_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ensure_port_free("127.0.0.1", port)


def test_wildcard_hosts_are_reached_through_loopback() -> None:
    assert local_base_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"  # noqa: S104
    assert local_base_url("::", 8000) == "http://[::1]:8000"
    assert local_base_url("shop.local", 80) == "http://shop.local:80"


def test_a_child_that_keeps_crashing_is_restarted_with_a_growing_back_off_then_stops_the_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    starts = tmp_path / "starts"
    crasher = f"open({str(starts)!r}, 'a').write('started\\n'); raise SystemExit(3)"
    supervisor = Supervisor(child_env("postgresql://x/y", "redis://x", str(tmp_path)), first_backoff_s=0.01)
    supervisor.start(ChildSpec("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"]))
    supervisor.start(ChildSpec("crasher", [sys.executable, "-c", crasher]))
    with pytest.raises(ChildExited, match="crasher exited with code 3") as exited:
        supervisor.watch()
    supervisor.stop()
    assert exited.value.returncode == 3
    assert all(process.poll() is not None for _, process in supervisor.children)
    assert starts.read_text().count("started") == 1 + MAX_CRASHES
    delays = re.findall(r"crasher exited with code 3; restarting in ([\d.]+) s", capsys.readouterr().out)
    assert [float(delay) for delay in delays] == pytest.approx([0.01 * 2**n for n in range(MAX_CRASHES)])
