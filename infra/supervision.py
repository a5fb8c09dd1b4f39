"""A supervised child process ends with its supervisor, however the supervisor ends (Linux)."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

SUPERVISOR_PID = "EASY_ECOM_SUPERVISOR_PID"
"""Set by a supervisor in its children's environment: its process id."""
_PR_SET_PDEATHSIG = 1


def end_with_supervisor() -> None:
    """In a child whose environment names its supervisor: have the kernel send this process
    SIGTERM when the supervisor dies, even killed with SIGKILL (Linux's PR_SET_PDEATHSIG), so
    no orphan keeps serving on the API's port; if the supervisor is already gone, end now.
    Elsewhere a child outlives a supervisor killed before its `finally` could stop it."""
    supervisor = os.environ.pop(SUPERVISOR_PID, None)  # not for this process's own children
    if supervisor is None or not supervisor.isdigit() or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        why = os.strerror(ctypes.get_errno())
        logging.getLogger(__name__).warning("this process may outlive its supervisor: prctl failed (%s)", why)
    if os.getppid() != int(supervisor):  # it died before the call above
        os.kill(os.getpid(), signal.SIGTERM)
