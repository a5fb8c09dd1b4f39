"""`easy-ecom import FOLDER --client ID` and `easy-ecom export --client ID FOLDER`: CSV files in and out
through `domain.transfer` (the rules and idempotency live there; this reads and writes files)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from domain import tenancy, transfer
from domain.context import Context
from domain.errors import DomainError, NotFound
from domain.models import Channel, Role
from infra.db import connect_app_engine, make_session_factory, transaction
from infra.settings import ConfigError, Settings


class Progress:
    """A one-line progress bar on stderr: `products.csv [#####-----] 120/240`."""

    WIDTH = 30

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0

    def advance(self, rows: int) -> None:
        self.done += rows
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        print(f"\r{self.label} [{bar}] {self.done}/{self.total}", end="", file=sys.stderr, flush=True)

    def finish(self) -> None:
        print(file=sys.stderr, flush=True)


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of a CSV file with a header line (UTF-8, BOM allowed)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return [(reader.line_num, row) for row in reader]


def _context(client_id: str, actor: str) -> Context:
    return Context(client_id=client_id, role=Role.OWNER, channel=Channel.SYSTEM, actor_name=actor)


def import_shop(settings: Settings, folder: Path, client_id: str) -> int:
    """Import the CSV files found in `folder` into `client_id` (created if missing); 1 if any file was refused."""
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder of CSV files ({', '.join(transfer.IMPORTERS)})")
    engine = connect_app_engine(settings)
    reports: list[transfer.FileReport] = []
    try:
        with transaction(make_session_factory(engine), client_id) as session:
            try:
                tenancy.get_client(session, client_id)
            except NotFound:
                tenancy.create_client(session, client_id, client_id.replace("_", " ").title())
            for name, importer in transfer.IMPORTERS.items():
                path = folder / name
                if not path.is_file():
                    continue
                rows = read_rows(path)
                progress = Progress(name, len(rows))
                reports.append(importer(session, _context(client_id, "import"), rows, progress.advance))
                progress.finish()
    except DomainError as exc:
        raise ConfigError(f"import refused: {exc.message}") from None
    finally:
        engine.dispose()
    if not reports:
        raise ConfigError(f"no importable file in {folder}: expected {', '.join(transfer.IMPORTERS)}")
    for report in reports:
        verdict = f"REFUSED ({len(report.errors)} bad rows, nothing imported)" if report.errors else "ok"
        print(f"{report.file}: {verdict}; {report.created} created, {report.unchanged} already there", flush=True)
        for line in [*map(str, report.errors), *report.notes]:
            print(f"  {line}", flush=True)
    return 1 if any(report.errors for report in reports) else 0


def export_shop(settings: Settings, client_id: str, folder: Path) -> int:
    """Write the shop's products, customers and orders as CSV files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    engine = connect_app_engine(settings)
    try:
        with transaction(make_session_factory(engine), client_id) as session:
            tenancy.get_client(session, client_id)
            for name, (columns, exporter) in transfer.EXPORTERS.items():
                rows = exporter(session, _context(client_id, "export"))
                with (folder / name).open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.DictWriter(handle, fieldnames=columns)
                    writer.writeheader()
                    writer.writerows(rows)
                print(f"{name}: {len(rows)} rows", flush=True)
    except DomainError as exc:
        raise ConfigError(f"export refused: {exc.message}") from None
    finally:
        engine.dispose()
    return 0
