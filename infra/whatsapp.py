"""The WhatsApp Cloud API at its HTTP boundary: the webhook signature, and a Graph API client that
sends messages (with retries and backoff on 429, 5xx and error 130429), downloads media and
lists message templates."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Hub-Signature-256"
THROTTLED_CODES = frozenset({4, 80007, 130429, 131056})
"""Graph error codes meaning 'slow down' (130429: the number's throughput was exceeded)."""


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends for `body`: `sha256=<hex HMAC-SHA256(app_secret, body)>`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of the raw `body` (constant-time comparison)."""
    if not header or not app_secret:
        return False
    return hmac.compare_digest(sign(app_secret, body).encode(), header.strip().encode("latin-1", "replace"))


class GraphError(Exception):
    """The Graph API refused or could not be reached; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None, retryable: bool) -> None:
        super().__init__(message)
        self.status, self.code, self.retryable = status, code, retryable


@dataclass(frozen=True)
class Media:
    """A downloaded media file."""

    content: bytes
    mime_type: str


def _error(response: httpx.Response) -> GraphError:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    code = error.get("code")
    retryable = response.status_code == 429 or response.status_code >= 500 or code in THROTTLED_CODES
    message = error.get("message") or response.text[:200] or response.reason_phrase
    return GraphError(
        f"Graph API {response.status_code}: {message}", status=response.status_code, code=code, retryable=retryable
    )


class GraphClient:
    """Calls to `base_url/version/…` with a bearer token, retried with exponential backoff (honouring
    Retry-After) while the error is retryable, `attempts` times in all."""

    def __init__(
        self,
        base_url: str,
        version: str,
        *,
        attempts: int = 4,
        backoff_s: float = 0.5,
        timeout_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = f"{base_url.rstrip('/')}/{version}"
        self.attempts, self.backoff_s, self.sleep = attempts, backoff_s, sleep
        self.http = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _call(self, method: str, url: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                failure = GraphError(f"Graph API unreachable: {exc}", retryable=True)
                retry_after = None
            else:
                if response.is_success:
                    return response
                failure = _error(response)
                retry_after = response.headers.get("Retry-After")
            if not failure.retryable or attempt == self.attempts:
                raise failure
            wait = float(retry_after) if retry_after and retry_after.isdigit() else self.backoff_s * 2 ** (attempt - 1)
            self.sleep(min(wait, 30.0))
        raise AssertionError("unreachable")

    def send_message(self, phone_number_id: str, token: str, payload: dict[str, Any]) -> str:
        """Send one message (`payload` without messaging_product); return its wamid."""
        body = {"messaging_product": "whatsapp", **payload}
        response = self._call("POST", f"{self.base}/{phone_number_id}/messages", token, json=body)
        return str(response.json()["messages"][0]["id"])

    def download_media(self, media_id: str, token: str) -> Media:
        """GET /{media-id} for its short-lived url, then the bytes from it with the same token."""
        meta = self._call("GET", f"{self.base}/{media_id}", token).json()
        content = self._call("GET", meta["url"], token)
        return Media(content.content, str(meta.get("mime_type") or content.headers.get("content-type", "")))

    def list_templates(self, business_account_id: str, token: str) -> list[dict[str, Any]]:
        """Every message template of a WhatsApp Business Account (following paging)."""
        url: str | None = f"{self.base}/{business_account_id}/message_templates"
        params: dict[str, Any] | None = {"fields": "name,language,category,status,components", "limit": 100}
        templates: list[dict[str, Any]] = []
        while url:
            page = self._call("GET", url, token, params=params).json()
            templates += page.get("data", [])
            url, params = page.get("paging", {}).get("next"), None
        return templates
