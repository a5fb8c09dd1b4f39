"""Run the service's processes as children of `easy-ecom up` and stop them together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from infra.settings import ConfigError
from infra.supervision import SUPERVISOR_PID

STOP_TIMEOUT_S = 15.0
READY_TIMEOUT_S = 60.0
STABLE_S = 60.0
"""A child that ran this long before exiting counts as up: its next crash starts the back-off anew."""
MAX_CRASHES = 6
MAX_BACKOFF_S = 30


@dataclass(frozen=True)
class ChildSpec:
    """One process of the service: a name for messages and its command line."""

    name: str
    argv: Sequence[str]


class ChildExited(Exception):
    """A child process ended while starting, or keeps crashing: the whole service stops."""

    def __init__(self, name: str, returncode: int) -> None:
        super().__init__(f"{name} exited with code {returncode}")
        self.returncode = returncode


def _bound_socket(host: str, port: int, setting: str, *, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to host:port (SO_REUSEADDR, as uvicorn; SO_REUSEPORT when asked); a
    ConfigError naming `setting` when the address does not resolve or is taken."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ConfigError(f"cannot resolve API_HOST={host!r} ({exc.strerror}); use an address like 127.0.0.1") from None
    bound = socket.socket(family, socket.SOCK_STREAM)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        bound.bind(address)
    except OSError as exc:
        bound.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}); stop what uses it or set {setting} to a free port"
        ) from None
    return bound


def ensure_port_free(host: str, port: int, setting: str = "API_PORT") -> None:
    """Raise ConfigError naming `setting` when host:port cannot be bound (same rules as uvicorn)."""
    _bound_socket(host, port, setting, reuse_port=False).close()


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port that other processes may listen on too (SO_REUSEPORT): the
    kernel spreads new connections over all of them."""
    listening = _bound_socket(host, port, "API_PORT", reuse_port=True)
    listening.listen(2048)  # uvicorn's default backlog
    return listening


def local_base_url(host: str, port: int) -> str:
    """The URL a browser on this machine uses to reach a server bound to host:port."""
    reachable = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    if ":" in reachable and not reachable.startswith("["):
        reachable = f"[{reachable}]"
    return f"http://{reachable}:{port}"


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _hang_up(signum: int, frame: object) -> None:
    """The terminal is gone: what we print while stopping goes nowhere instead of failing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (1, 2):
        os.dup2(devnull, stream)
    os.close(devnull)
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Turn SIGINT, SIGTERM and SIGHUP (the terminal closed) into KeyboardInterrupt, so `finally`
    blocks stop what we started.

    SIGINT too, because a shell starts background jobs with it ignored.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _hang_up)


class Supervisor:
    """Starts children in their own sessions (a terminal's Ctrl-C reaches only us) that end with it
    on Linux even when it is killed (`end_with_supervisor`), restarts a child that dies (with a
    growing back-off), and stops them in turn."""

    def __init__(self, env: Mapping[str, str], *, first_backoff_s: float = 1.0) -> None:
        self.env = dict(env) | {SUPERVISOR_PID: str(os.getpid())}
        self.first_backoff_s = first_backoff_s
        self.children: list[tuple[ChildSpec, subprocess.Popen[bytes]]] = []
        self._started: dict[str, float] = {}
        self._crashes: dict[str, int] = {}

    def start(self, spec: ChildSpec) -> None:
        """Spawn one child with the shared environment."""
        process = subprocess.Popen(list(spec.argv), env=self.env, start_new_session=True)
        self.children.append((spec, process))
        self._started[spec.name] = time.monotonic()

    def check_alive(self) -> None:
        """Raise ChildExited when any child has ended (while starting up: fail fast)."""
        for spec, process in self.children:
            if process.poll() is not None:
                raise ChildExited(spec.name, process.returncode)

    def wait_until_ready(self, url: str, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Poll `url` until it answers 200, failing fast when a child dies."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise ConfigError(f"the service did not become ready at {url} within {timeout_s:.0f}s; see the log above")

    def watch(self) -> None:
        """Until interrupted (KeyboardInterrupt): restart any child that exits, after a back-off
        that doubles with each crash in a row from `first_backoff_s` (1, 2, 4 … 30 s); a child
        that dies again within STABLE_S of its start after MAX_CRASHES restarts in a row raises
        ChildExited."""
        while True:
            for index, (spec, process) in enumerate(self.children):
                if process.poll() is not None:
                    self.children[index] = (spec, self._restart(spec, process.returncode))
            time.sleep(0.2)

    def _restart(self, spec: ChildSpec, returncode: int) -> subprocess.Popen[bytes]:
        stable = time.monotonic() - self._started[spec.name] >= STABLE_S
        crashes = 1 if stable else self._crashes.get(spec.name, 0) + 1
        if crashes > MAX_CRASHES:
            raise ChildExited(spec.name, returncode)
        self._crashes[spec.name] = crashes
        delay = min(self.first_backoff_s * 2 ** (crashes - 1), MAX_BACKOFF_S)
        print(f"easy-ecom: {spec.name} exited with code {returncode}; restarting in {delay:g} s", flush=True)
        time.sleep(delay)
        self._started[spec.name] = time.monotonic()
        return subprocess.Popen(list(spec.argv), env=self.env, start_new_session=True)

    def stop(self) -> None:
        """SIGTERM every child in reverse start order, then SIGKILL those still running after a grace period."""
        stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # a second one must not cut this short
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in stopping}
        try:
            for _, process in reversed(self.children):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for _, process in reversed(self.children):
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def child_env(database_url: str, redis_url: str, data_dir: str) -> dict[str, str]:
    """Our environment plus the resolved URLs, so children use the servers we started."""
    return os.environ | {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "DATA_DIR": data_dir}
