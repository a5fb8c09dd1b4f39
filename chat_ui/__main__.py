"""`python -m chat_ui`: the console process (Chainlit, one worker) on CONSOLE_HOST:CONSOLE_PORT,
started by `easy-ecom console` and `easy-ecom up` with the resolved service URLs."""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
from pathlib import Path

from infra.logging import configure_logging
from infra.settings import ConfigError, load_settings
from infra.supervision import end_with_supervisor

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Open the console's runtime (failing fast on bad configuration), then serve Chainlit."""
    configure_logging()
    end_with_supervisor()
    try:
        settings = load_settings()
        secret = settings.secret_key()
        os.environ.update(
            CHAINLIT_APP_ROOT=str(HERE),
            CHAINLIT_HOST=settings.CONSOLE_HOST,
            CHAINLIT_PORT=str(settings.CONSOLE_PORT),
            CHAINLIT_AUTH_SECRET=hmac.new(secret.encode(), b"chainlit-session", hashlib.sha256).hexdigest(),
        )
        from chat_ui.console import shared_console

        shared_console()  # the runtime opens here, so bad URLs end the process before it serves
    except ConfigError as exc:
        print(f"easy-ecom console: {exc}", file=sys.stderr, flush=True)
        return 2
    from chainlit.cli import run_chainlit  # reads CHAINLIT_APP_ROOT when imported
    from chainlit.config import config

    config.run.headless = True
    run_chainlit(str(HERE / "app.py"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
