"""A supervised child ends with its supervisor (the kernel's parent-death signal, Linux)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from infra.supervision import SUPERVISOR_PID

ROOT = Path(__file__).resolve().parents[2]
CHILD = "from infra.supervision import end_with_supervisor; end_with_supervisor(); print('serving')"


def run_child(supervisor_pid: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {SUPERVISOR_PID: supervisor_pid}
    return subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)


def test_a_child_of_its_supervisor_runs_on() -> None:
    child = run_child(str(os.getpid()))
    assert (child.returncode, child.stdout) == (0, "serving\n")


def test_a_child_whose_supervisor_is_already_gone_ends_at_once() -> None:
    child = run_child(str(os.getppid()))  # not its parent: the supervisor died, the child was handed on
    assert (child.returncode, child.stdout) == (-signal.SIGTERM, "")
