"""`easy-ecom`: run the whole service (`up`) or one part of it (`api`, `worker`, `console`, `migrate`,
`seed`); bring a shop's CSV files in (`import`) or take them out (`export`); recompute picture
vectors (`reembed`).

It lives in api/ because it wires every layer (infra servers, domain seed, the app); infra
imports nothing of ours. Bad configuration ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import uvicorn
from tqdm import tqdm

from api.launcher import (
    ChildExited,
    ChildSpec,
    Supervisor,
    child_env,
    ensure_port_free,
    local_base_url,
    reuse_port_socket,
    stop_on_signals,
)
from api.transfer import export_shop, import_shop
from graph.memory import setup_checkpoint_tables
from infra.db import (
    app_role_password,
    check_reachable,
    connect_app_engine,
    make_engine,
    make_session_factory,
    transaction,
)
from infra.embedded import ServiceURLs, running_services
from infra.embeddings import make_image_embedder
from infra.logging import configure_logging
from infra.migrate import upgrade
from infra.object_storage import make_object_storage
from infra.redis_client import check_redis, make_redis
from infra.settings import ConfigError, Settings, load_settings
from infra.supervision import end_with_supervisor
from infra.text_embeddings import make_text_embedder

CONFIG_ERROR_EXIT = 2
CONSOLE_READY_TIMEOUT_S = 180.0
"""Chainlit imports a lot before it answers; on a busy machine that takes a while."""
IMPORT_HELP = (
    "Load a shop from the CSV files in PATH (see README, 'Bring your data'). Every bad row is reported with "
    "its file, line and reason, and a file with a bad row imports nothing; exit code 1 then."
)


def migrate(settings: Settings) -> None:
    """Create or refresh the application role, then apply every pending migration (as the owner role)."""
    assert settings.DATABASE_URL is not None
    engine = make_engine(settings.DATABASE_URL)
    try:
        check_reachable(engine, "owner role")
        role = settings.DATABASE_APP_ROLE
        upgrade(engine, role, app_role_password(settings.secret_key(), role))
        setup_checkpoint_tables(settings.DATABASE_URL)
    finally:
        engine.dispose()


def seed(settings: Settings) -> None:
    """Load the demo shop (idempotent) through the application role, so RLS applies to the seed too."""
    from domain import demo
    from domain.errors import DomainError

    engine = connect_app_engine(settings)
    try:
        with transaction(make_session_factory(engine)) as session:
            summary = demo.seed(session, settings)
    except DomainError as exc:
        raise ConfigError(f"demo seed refused: {exc.message}") from None
    finally:
        engine.dispose()
    if summary.created:
        print(f"demo shop {summary.client_id}: {summary.products} products, {summary.orders} orders loaded", flush=True)
    else:
        print(f"demo shop {summary.client_id} is already there; left as it is", flush=True)


def reembed(settings: Settings, client_id: str) -> None:
    """Recompute the vectors of one client's product pictures with IMAGE_EMBEDDER, and of its products'
    text with TEXT_EMBEDDER when one is set, with progress bars."""
    from domain import images, semantic
    from domain.context import Context
    from domain.models import Channel, Client, Role

    embedder = make_image_embedder(settings.IMAGE_EMBEDDER)
    text_embedder = make_text_embedder(settings.TEXT_EMBEDDER)
    refreshed = 0
    owner = Context(client_id, Role.OWNER, Channel.SYSTEM, actor_name="easy-ecom reembed")
    engine = connect_app_engine(settings)
    try:
        with (
            transaction(make_session_factory(engine), client_id) as session,
            tqdm(desc=f"re-embedding {client_id}", unit="picture", file=sys.stdout) as bar,
        ):
            if session.get(Client, client_id) is None:
                raise ConfigError(f"no client {client_id!r}; give the id of an existing business")

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(1)

            count = images.reembed_images(session, owner, make_object_storage(settings), embedder, progress)
            if text_embedder is not None:
                with tqdm(desc=f"embedding {client_id}'s product texts", unit="product", file=sys.stdout) as texts:
                    refreshed = semantic.refresh_text_vectors(session, owner, text_embedder, texts.update)
    finally:
        engine.dispose()
    print(f"{count} pictures of {client_id} re-embedded with {embedder.name}", flush=True)
    if text_embedder is not None:
        print(f"{refreshed} product texts of {client_id} embedded with {text_embedder.name}", flush=True)


API_PROCESS = "api-process"


def serve_api(settings: Settings) -> None:
    """Run the API: API_WORKERS uvicorn processes (each its own pools and graph cache), each on a
    listening socket of its own on the same port (SO_REUSEPORT), so the kernel spreads connections
    over them; with one socket shared, the process that woke first accepted every waiting connection
    (a client's 16 keep-alive connections split 15 / 1: bench/README.md). The supervisor restarts a
    worker that dies, with a back-off; the workers read the resolved URLs from the environment."""
    ensure_port_free(settings.API_HOST, settings.API_PORT)
    connect_app_engine(settings).dispose()
    database_url, redis_url = settings.service_urls()
    client = make_redis(redis_url)
    try:
        check_redis(client)
    finally:
        client.close()
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=redis_url, DATA_DIR=str(settings.DATA_DIR.resolve()))
    if settings.API_WORKERS == 1:
        serve_api_process(settings)
        return

    def start(supervisor: Supervisor) -> None:
        for number in range(1, settings.API_WORKERS + 1):
            supervisor.start(ChildSpec(f"API worker {number}", [sys.executable, "-m", "api.cli", API_PROCESS]))

    returncode = supervise(ServiceURLs(database_url, redis_url), settings, start)
    if returncode:
        sys.exit(returncode)


def serve_api_process(settings: Settings) -> None:
    """One uvicorn process serving the app on API_HOST:API_PORT, on a socket of its own that shares
    the port with the other workers' (SO_REUSEPORT)."""
    config = uvicorn.Config(
        "api.main:serve_app",
        factory=True,
        log_config=None,
        access_log=False,
        proxy_headers=bool(settings.TRUSTED_PROXIES),
        forwarded_allow_ips=[str(network) for network in settings.trusted_proxies()] or None,
    )
    listening = reuse_port_socket(settings.API_HOST, settings.API_PORT)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the stop signal after its graceful shutdown
        uvicorn.Server(config).run(sockets=[listening])


def serve_worker(settings: Settings) -> None:
    """Run one WhatsApp worker until SIGINT/SIGTERM (any number may run side by side)."""
    import threading

    from api.whatsapp.worker import run_worker
    from graph.runtime import freeze_startup_heap, open_runtime

    stop = threading.Event()
    with open_runtime(settings) as runtime:
        freeze_startup_heap()
        try:
            run_worker(runtime, stop)
        except KeyboardInterrupt:  # stop_on_signals turns SIGTERM into this
            stop.set()


def with_urls(settings: Settings, urls: ServiceURLs) -> Settings:
    """`settings` pointing at the servers in use (embedded or external)."""
    return settings.model_copy(update={"DATABASE_URL": urls.database_url, "REDIS_URL": urls.redis_url})


def with_services(command: Callable[[Settings], None]) -> Callable[[Settings], int]:
    """Run `command` with DATABASE_URL/REDIS_URL resolved, starting embedded servers for unset ones."""

    def run(settings: Settings) -> int:
        with running_services(settings) as urls:
            command(with_urls(settings, urls))
        return 0

    return run


def up(settings: Settings) -> int:
    """Embedded servers if needed, migrate, seed, then every process of the service until Ctrl-C."""
    ensure_port_free(settings.API_HOST, settings.API_PORT)  # before any server starts
    ensure_port_free(settings.CONSOLE_HOST, settings.CONSOLE_PORT, "CONSOLE_PORT")
    with running_services(settings) as urls:
        resolved = with_urls(settings, urls)
        migrate(resolved)
        if resolved.is_production:
            print("production: skipping the demo seed (its passwords are public)", flush=True)
        else:
            seed(resolved)

        def start(supervisor: Supervisor) -> None:
            workers = ["--workers", str(resolved.API_WORKERS)]
            supervisor.start(ChildSpec("api", [sys.executable, "-m", "api.cli", "api", *workers]))
            base = local_base_url(resolved.API_HOST, resolved.API_PORT)
            supervisor.wait_until_ready(f"{base}/ready")
            # The WhatsApp worker once the API is up: Meta's deliveries wait in the inbox meanwhile.
            supervisor.start(ChildSpec("worker", [sys.executable, "-m", "api.cli", "worker"]))
            console = start_console(supervisor, resolved)
            print(banner(base, console, demo_logins=not resolved.is_production), flush=True)

        return supervise(urls, settings, start)


def supervise(urls: ServiceURLs, settings: Settings, start: Callable[[Supervisor], None]) -> int:
    """Start children with `start`, then watch them until Ctrl-C or one exits for good; stop them all."""
    supervisor = Supervisor(child_env(urls.database_url, urls.redis_url, str(settings.DATA_DIR.resolve())))
    try:
        start(supervisor)
        supervisor.watch()
    except ChildExited as exc:
        print(f"easy-ecom: {exc}; stopping everything", file=sys.stderr, flush=True)
        return exc.returncode if exc.returncode > 0 else 1
    except KeyboardInterrupt:
        print("easy-ecom: stopping", flush=True)
    finally:
        supervisor.stop()
    return 0


def start_console(supervisor: Supervisor, settings: Settings) -> str:
    """Start the console (`python -m chat_ui`: Chainlit needs one worker, so its own process) and
    return its URL once it answers."""
    supervisor.start(ChildSpec("console", [sys.executable, "-m", "chat_ui"]))
    base = local_base_url(settings.CONSOLE_HOST, settings.CONSOLE_PORT)
    supervisor.wait_until_ready(f"{base}/", timeout_s=CONSOLE_READY_TIMEOUT_S)
    return base


def console(settings: Settings) -> int:
    """The console alone (embedded servers if the URLs are unset), until Ctrl-C."""
    ensure_port_free(settings.CONSOLE_HOST, settings.CONSOLE_PORT, "CONSOLE_PORT")
    with running_services(settings) as urls:
        resolved = with_urls(settings, urls)

        def start(supervisor: Supervisor) -> None:
            print(f"\nEasy Ecom console: {start_console(supervisor, resolved)}\nPress Ctrl-C to stop.\n", flush=True)

        return supervise(urls, settings, start)


def demo_login_lines() -> tuple[str, ...]:
    """The demo shop's logins, as the seed created them."""
    from domain import demo

    return (
        "Demo logins",
        f"  shop owner:   client {demo.DEMO_CLIENT_ID}, user {' / '.join(demo.DEMO_OWNER)}",
        f"  shop staff:   client {demo.DEMO_CLIENT_ID}, user {' / '.join(demo.DEMO_STAFF)}",
        f"  superadmin:   {' / '.join(demo.SUPERADMIN)}",
    )


def banner(base: str, console_base: str, *, demo_logins: bool) -> str:
    """What a person needs once the service is up: where it is and how to log in."""
    return "\n".join(
        (
            "",
            "Easy Ecom is running",
            f"  console:      {console_base}   (log in as user@client, e.g. admin@demo_client)",
            f"  API:          {base}/api/v1",
            f"  API docs:     {base}/docs   (ReDoc: {base}/redoc)",
            f"  health:       {base}/health   readiness: {base}/ready   metrics: {base}/metrics",
            *(demo_login_lines() if demo_logins else ()),
            "Press Ctrl-C to stop.",
            "",
        )
    )


COMMANDS: dict[str, tuple[str, Callable[[Settings], int]]] = {
    "up": ("run everything: embedded servers if needed, migrate, demo seed, API, WhatsApp worker", up),
    "api": ("run the REST API (starts embedded servers when the URLs are unset)", with_services(serve_api)),
    API_PROCESS: ("one API worker process (what `api` starts API_WORKERS of)", with_services(serve_api_process)),
    "worker": ("run a WhatsApp worker (answers inbound messages, sends outbound ones)", with_services(serve_worker)),
    "console": ("run the owner console (Chainlit; starts embedded servers when the URLs are unset)", console),
    "migrate": ("create the application role and apply database migrations", with_services(migrate)),
    "seed": ("load the demo shop (idempotent)", with_services(seed)),
}


def transfer_command(args: argparse.Namespace) -> Callable[[Settings], int]:
    """`import` or `export` with their arguments, run against the configured (or embedded) database."""

    def run(settings: Settings) -> int:
        with running_services(settings) as urls:
            resolved = with_urls(settings, urls)
            if args.command == "import":
                return import_shop(resolved, Path(args.path), args.client)
            return export_shop(resolved, args.client, Path(args.path))

    return run


REEMBED = "reembed"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: one sub-command per process or task; settings come from the environment."""
    parser = argparse.ArgumentParser(
        prog="easy-ecom", description="Easy Ecom: configure with environment variables or .env (see README)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, _) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text, description=help_text)
        if name in ("up", "api"):
            command.add_argument(
                "--workers", type=int, metavar="N", help="API worker processes (default: API_WORKERS, the CPU count)"
            )
    importer = commands.add_parser(
        "import", help="load a shop from CSV files (idempotent, all or nothing per file)", description=IMPORT_HELP
    )
    importer.add_argument("path", help="folder with clients.csv, users.csv, products.csv, customers.csv")
    importer.add_argument("--client", required=True, help="the shop's client id (created if missing)")
    exporter = commands.add_parser("export", help="write a shop's products, customers and orders as CSV files")
    exporter.add_argument("--client", required=True, help="the shop's client id")
    exporter.add_argument("path", help="folder to write products.csv, customers.csv and orders.csv into")
    reembed_help = (
        "recompute one client's picture vectors with IMAGE_EMBEDDER and product-text vectors with TEXT_EMBEDDER "
        "(after changing them)"
    )
    task = commands.add_parser(REEMBED, help=reembed_help, description=reembed_help)
    task.add_argument("--client", required=True, metavar="ID", help="the client (business) id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `easy-ecom` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    configure_logging()
    stop_on_signals()
    try:
        end_with_supervisor()
        settings = load_settings()
        if getattr(args, "workers", None) is not None:
            if args.workers < 1:
                raise ConfigError("--workers needs a whole number of at least 1")
            settings = settings.model_copy(update={"API_WORKERS": args.workers})
        if args.command == REEMBED:
            return with_services(partial(reembed, client_id=args.client))(settings)
        command = transfer_command(args) if args.command in ("import", "export") else COMMANDS[args.command][1]
        return command(settings)
    except ConfigError as exc:
        print(f"easy-ecom: {exc}", file=sys.stderr, flush=True)
        return CONFIG_ERROR_EXIT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
