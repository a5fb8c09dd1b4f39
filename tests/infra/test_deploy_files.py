"""Docker files, README and CI agree with the CLI and the settings (no Docker engine needed)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from api.cli import COMMANDS
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = frozenset(Settings.model_fields)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def our_services(compose: dict) -> dict[str, dict]:
    return {name: spec for name, spec in compose["services"].items() if "build" in spec}


def test_compose_runs_pgvector_postgres_redis_a_migration_the_api_and_the_console(compose: dict) -> None:
    services = compose["services"]
    assert services["postgres"]["image"].startswith("pgvector/pgvector:pg16")
    assert services["redis"]["image"].startswith("redis:7")
    assert set(our_services(compose)) == {"migrate", "api", "console"}
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["console"]["command"] == ["easy-ecom", "console"]
    assert services["console"]["environment"]["CONSOLE_HOST"] == "0.0.0.0"  # noqa: S104 - inside the container


def test_compose_services_run_existing_cli_commands(compose: dict) -> None:
    for name, spec in our_services(compose).items():
        program, command, *_ = spec["command"]
        assert program == "easy-ecom", name
        assert command in COMMANDS, f"{name} runs `easy-ecom {command}`, which the CLI does not have"


def test_compose_services_use_only_settings_the_app_reads(compose: dict) -> None:
    for name, spec in our_services(compose).items():
        unknown = set(spec["environment"]) - SETTINGS
        assert not unknown, f"{name} sets {unknown}, which infra.settings.Settings does not read"
        assert spec["environment"]["EASY_ECOM_ENV"] == "production"


def test_the_image_runs_the_cli_and_sets_only_known_settings() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "-c requirements/lock.txt" in dockerfile
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    assert json.loads(cmd.group(1)) == ["easy-ecom", "api"]
    env_block = re.search(r"^ENV (.*?)(?:\n\n)", dockerfile, re.MULTILINE | re.DOTALL)
    assert env_block is not None
    names = set(re.findall(r"([A-Z_][A-Z0-9_]*)=", env_block.group(1)))
    assert {name for name in names if not name.startswith(("PYTHON", "PIP_"))} <= SETTINGS


def test_the_console_scripts_are_the_api_cli_and_the_eval_runner() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"] == {"easy-ecom": "api.cli:main", "easy-ecom-eval": "evals.cli:main"}


def test_the_readme_documents_every_setting_and_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_0-9]+)` \|", readme, re.MULTILINE))
    assert documented == SETTINGS
    assert "python3 dev.py up" in readme
    assert "python3 dev.py test" in readme


def test_ci_runs_the_readme_test_command() -> None:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "set -euo pipefail" in lines
    assert lines[-1] == "python3 dev.py test"


def test_nginx_fronts_the_api_replicas_and_sets_the_forwarded_headers_itself(compose: dict) -> None:
    services = compose["services"]
    assert services["api"]["deploy"]["replicas"] >= 2
    assert "ports" not in services["api"]  # reachable only through the proxy
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert "./deployment/nginx/default.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    conf = (ROOT / "deployment" / "nginx" / "default.conf").read_text()
    live = "\n".join(line.split("#")[0] for line in conf.splitlines())
    assert re.search(r"upstream easy_ecom_api \{\s*server api:8000;", live)
    passes = re.findall(r"proxy_pass (\S+);", live)
    assert passes
    assert set(passes) == {"http://easy_ecom_api"}
    forwarded = re.findall(r"proxy_set_header X-Forwarded-For (\S+);", live)
    assert forwarded == ["$remote_addr"] * len(passes)  # overwritten, never appended to what a client sent
    assert "$proxy_add_x_forwarded_for" not in live
