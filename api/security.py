"""Access tokens (JWT, HS256 pinned) and the principal they carry."""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from domain.context import Context
from domain.errors import AuthenticationFailed
from domain.models import Channel, Role

ALGORITHM = "HS256"
ISSUER = "easy-ecom"


@dataclass(frozen=True)
class Principal:
    """Who a valid token says the caller is."""

    subject: uuid.UUID
    username: str
    role: Role | None  # None for the platform superadmin
    client_id: str | None

    @property
    def is_superadmin(self) -> bool:
        return self.client_id is None

    def context(self, channel: Channel = Channel.REST) -> Context:
        """The domain context for a tenant user (superadmins have none)."""
        if self.client_id is None or self.role is None:
            raise AuthenticationFailed("this token belongs to the platform admin; use the admin routes")
        return Context(self.client_id, self.role, channel, self.subject, actor_name=self.username)


def issue_token(secret: str, principal: Principal, ttl: timedelta, now: datetime | None = None) -> str:
    """A signed access token for `principal`, valid for `ttl`."""
    issued = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": str(principal.subject),
        "name": principal.username,
        "role": principal.role.value if principal.role else "superadmin",
        "cid": principal.client_id,
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str) -> Principal:
    """Verify signature (HS256 only), issuer and expiry; raise AuthenticationFailed otherwise.

    A token verified once is remembered with its expiry (`_verified`): every request presents it
    twice (the rate limit and the route), and a client presents the same one for its whole life."""
    principal, expires = _verified(secret, token)
    if expires <= time.time():
        raise AuthenticationFailed("invalid or expired token (ExpiredSignatureError)")
    return principal


@functools.lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> tuple[Principal, float]:
    """The principal of a valid token and its expiry (epoch seconds); failures are not remembered."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "iat", "sub", "iss"]}
        )
        role = None if claims["role"] == "superadmin" else Role(claims["role"])
        if role is Role.CUSTOMER or (role is None) != (claims.get("cid") is None):
            raise ValueError("inconsistent role and client")
        principal = Principal(uuid.UUID(claims["sub"]), str(claims.get("name", "")), role, claims.get("cid"))
        return principal, float(claims["exp"])
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise AuthenticationFailed(f"invalid or expired token ({type(exc).__name__})") from None
