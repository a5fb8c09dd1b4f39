"""Runtime configuration: one pydantic-settings class read from the environment and `.env`."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.connection import parse_url

DEMO_PASSWORDS = frozenset({"admin123", "superadmin123"})
DEV_2FA_CODE = "123456"


class ConfigError(Exception):
    """A setting is missing or malformed; the message says what to fix."""


class Settings(BaseSettings):
    """Every knob of the service. Unset URLs mean: start the embedded servers in DATA_DIR."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True, env_ignore_empty=True)

    EASY_ECOM_ENV: Literal["development", "production"] = "development"
    DATA_DIR: Path = Path("./data")
    DATABASE_URL: str | None = None
    REDIS_URL: str | None = None
    DATABASE_APP_ROLE: str = "easy_ecom_app"
    SECRET_KEY: SecretStr | None = None
    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(default=60, ge=1, le=24 * 60)
    ORDER_EDIT_2FA_CODE: str = DEV_2FA_CODE
    RATE_LIMIT_PER_IP_PER_MINUTE: int = Field(default=600, ge=1)
    RATE_LIMIT_PER_CLIENT_PER_MINUTE: int = Field(default=1200, ge=1)
    MAX_REQUEST_BODY_BYTES: int = Field(default=1024 * 1024, ge=1024)
    API_HOST: str = "127.0.0.1"
    TRUSTED_PROXIES: str = ""
    """Comma-separated IPs or CIDRs of the reverse proxies whose X-Forwarded-For is believed
    (by the app and by uvicorn); empty: none, the TCP peer is the client."""
    API_PORT: int = Field(default=8000, ge=1, le=65535)
    API_WORKERS: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    MAX_REQUESTS_IN_FLIGHT: int = Field(default=64, ge=1, le=10_000)
    API_THREADS: int = Field(default=4, ge=1, le=256)
    """Threads per API process for the routes whose work is the database."""
    API_OUTSIDE_THREADS: int = Field(default=16, ge=1, le=256)
    """Threads per API process for the routes that wait on something outside the database (a
    model, object storage, the WhatsApp API): chat turns, approval decisions, picture search."""
    CONSOLE_HOST: str = "127.0.0.1"
    CONSOLE_PORT: int = Field(default=8001, ge=1, le=65535)
    DB_POOL_SIZE: int = Field(default=20, ge=1, le=500)
    DB_POOL_TIMEOUT_S: float = Field(default=5.0, gt=0, le=120)
    DB_STATEMENT_TIMEOUT_MS: int = Field(default=30_000, ge=100)
    DB_LOCK_TIMEOUT_MS: int = Field(default=5_000, ge=100)
    DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: int = Field(default=60_000, ge=100)
    OPENAI_API_KEY: SecretStr | None = None
    OPENAI_BASE_URL: str | None = None
    LLM_MODEL: str = "gpt-4o-mini"
    WHATSAPP_VERIFY_TOKEN: SecretStr | None = None
    WHATSAPP_APP_SECRET: SecretStr | None = None
    WHATSAPP_ACCESS_TOKEN: SecretStr | None = None
    WHATSAPP_PHONE_NUMBER_ID: str | None = None
    WHATSAPP_API_VERSION: str = "v21.0"
    WHATSAPP_API_BASE_URL: str = "https://graph.facebook.com"
    WHATSAPP_BUSINESS_ACCOUNT_ID: str | None = None
    WHATSAPP_WEBHOOK_MAX_BYTES: int = Field(default=3 * 1024 * 1024, ge=1024)
    WHATSAPP_SIMULATE_IN_PRODUCTION: bool = False
    WHATSAPP_MESSAGES_PER_SECOND: int = Field(default=80, ge=1, le=1000)
    AWS_ACCESS_KEY_ID: str | None = None
    AWS_SECRET_ACCESS_KEY: SecretStr | None = None
    AWS_REGION: str = "us-east-1"
    S3_BUCKET_NAME: str | None = None
    S3_ENDPOINT_URL: str | None = None
    IMAGE_EMBEDDER: Literal["descriptor"] = "descriptor"
    VISION_MODEL: str | None = None
    TEXT_EMBEDDER: Literal["none", "minilm"] = "none"

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url_is_postgres(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            raise ValueError("must start with postgresql:// (for example postgresql://user:pw@host:5432/db)")
        return value

    @field_validator("TRUSTED_PROXIES")
    @classmethod
    def _trusted_proxies_parse(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if item:
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not an IP address or CIDR (e.g. 10.0.0.5, 10.0.0.0/8)") from None
        return ",".join(part.strip() for part in value.split(",") if part.strip())

    def trusted_proxies(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """TRUSTED_PROXIES as networks (a single address is a /32 or /128)."""
        return [ipaddress.ip_network(item, strict=False) for item in self.TRUSTED_PROXIES.split(",") if item]

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_url_parses(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            parse_url(value)
        except ValueError as exc:
            raise ValueError(f"is not a redis URL ({exc}); use redis://host:6379/0 or unix:///path") from exc
        return value

    @model_validator(mode="after")
    def _production_refuses_defaults(self) -> Settings:
        if self.EASY_ECOM_ENV == "production":
            if self.SECRET_KEY is None or len(self.SECRET_KEY.get_secret_value()) < 32:
                raise ValueError("SECRET_KEY (at least 32 characters) is required in production")
            if self.ORDER_EDIT_2FA_CODE == DEV_2FA_CODE:
                self.ORDER_EDIT_2FA_CODE = ""  # the static code is a development convenience only
        return self

    @property
    def is_production(self) -> bool:
        return self.EASY_ECOM_ENV == "production"

    def service_urls(self) -> tuple[str, str]:
        """DATABASE_URL and REDIS_URL, which a running service needs (the CLI fills them in for
        embedded servers)."""
        if not self.DATABASE_URL or not self.REDIS_URL:
            raise ConfigError(
                "DATABASE_URL and REDIS_URL must be set to serve the app directly; "
                "`easy-ecom api` or `easy-ecom up` start embedded servers when they are unset"
            )
        return self.DATABASE_URL, self.REDIS_URL

    def secret_key(self) -> str:
        """SECRET_KEY, generated once and kept in DATA_DIR when unset in development."""
        if self.SECRET_KEY is not None:
            return self.SECRET_KEY.get_secret_value()
        key_file = self.DATA_DIR / "secret_key"
        if not key_file.exists():
            self.DATA_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        self.SECRET_KEY = SecretStr(key_file.read_text().strip())
        return self.SECRET_KEY.get_secret_value()


def load_settings() -> Settings:
    """Read settings, turning validation errors into one readable ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            " ".join(filter(None, (".".join(map(str, e["loc"])), e["msg"].removeprefix("Value error, "))))
            for e in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached)."""
    return load_settings()
