#!/usr/bin/env python3
"""The two README commands, with nothing installed beforehand but Python 3.11+.

    python3 dev.py up      # run the service with demo data (embedded PostgreSQL and Redis)
    python3 dev.py test    # run the test suite (extra arguments go to pytest)
    python3 dev.py lint    # ruff and the import-layer contracts

Creates .venv when missing and installs the pinned dependencies from requirements/lock.txt;
it installs again only when pyproject.toml or the lock file change (a hash stamp in .venv).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
LOCK = ROOT / "requirements" / "lock.txt"
STAMP = VENV / ".easy-ecom-install"
FULL_EXTRA = "dev,semantic"


def dependency_hash() -> str:
    """A hash of everything that decides what gets installed."""
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", LOCK):
        digest.update(path.read_bytes())
    return digest.hexdigest()


class SetupFailed(Exception):
    """The virtual environment could not be created or installed; the message says why."""


def create_venv() -> None:
    """A fresh .venv with pip, from the Python running this script."""
    print("dev.py: creating .venv", flush=True)
    try:
        venv.EnvBuilder(with_pip=True).create(VENV)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SetupFailed(
            f"could not create .venv ({exc}); on Debian/Ubuntu install python3-venv, then delete .venv and retry"
        ) from None


def ensure_installed(extra: str | None) -> None:
    """Create .venv and install the project (with `extra`) from the lock, unless the stamp says it is done."""
    if not (BIN / "python").exists():
        create_venv()
    wanted = dependency_hash()
    done_hash, _, done_extra = (STAMP.read_text().strip() if STAMP.exists() else "").partition(" ")
    if done_hash == wanted and done_extra in (extra or "", FULL_EXTRA):
        return
    target = f".[{extra}]" if extra else "."
    print(f"dev.py: installing {target} from {LOCK.relative_to(ROOT)} (the first time takes a few minutes)", flush=True)
    install = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "-c", str(LOCK), "-e", target]
    if subprocess.run(install, cwd=ROOT, check=False).returncode != 0:
        raise SetupFailed("installing the dependencies failed (see pip's message above)")
    STAMP.write_text(f"{wanted} {extra or ''}\n")


def run(tool: str, *args: str) -> NoReturn:
    """Replace this process with a tool from .venv (signals and the exit code pass straight through)."""
    executable = str(BIN / tool)
    os.chdir(ROOT)
    os.execv(executable, [executable, *args])  # noqa: S606 - a fixed tool inside .venv


def lint() -> int:
    """ruff, then the import-linter contracts; non-zero when either fails."""
    ruff = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=ROOT, check=False).returncode
    layers = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, check=False).returncode
    return 1 if ruff or layers else 0


def main(argv: list[str]) -> int:
    """Dispatch `up`, `test` or `lint`."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs under whatever python3 the user has
        print(f"dev.py: Easy Ecom needs Python 3.11 or newer; this is {sys.version.split()[0]}", file=sys.stderr)
        return 2
    command, *rest = argv or ["help"]
    if command not in ("up", "test", "lint"):
        print(__doc__.strip(), file=sys.stderr)
        return 0 if command in ("help", "-h", "--help") else 2
    try:
        ensure_installed(None if command == "up" else FULL_EXTRA)
    except SetupFailed as exc:
        print(f"dev.py: {exc}", file=sys.stderr)
        return 1
    if command == "up":
        run("easy-ecom", "up", *rest)
    if command == "test":
        run("pytest", *rest)
    return lint()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
