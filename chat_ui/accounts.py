"""Who is using the console: one login field (`admin@demo_client` for a shop's user, a bare
`superadmin` for the platform), checked by the domain's login (hashing, lockout, audit)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from domain.context import Context
from domain.models import Channel, Role


@dataclass(frozen=True)
class ConsoleUser:
    """A logged-in console user; `client_id` and `role` are None for the platform superadmin."""

    user_id: uuid.UUID
    username: str
    client_id: str | None
    role: Role | None

    @property
    def identifier(self) -> str:
        """What the user typed to log in (and what the console shows)."""
        return f"{self.username}@{self.client_id}" if self.client_id else self.username

    @property
    def is_superadmin(self) -> bool:
        return self.client_id is None

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER

    def context(self) -> Context:
        """The acting principal in the console channel (shop users only)."""
        if self.client_id is None or self.role is None:
            raise ValueError("the platform superadmin acts on no shop; use the Client Admin view")
        return Context(self.client_id, self.role, Channel.CONSOLE, self.user_id, actor_name=self.username)

    def to_metadata(self) -> dict[str, Any]:
        """JSON-safe form kept in the console's signed session."""
        return {
            "user_id": str(self.user_id),
            "username": self.username,
            "client_id": self.client_id,
            "role": self.role.value if self.role else None,
        }

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> ConsoleUser:
        """The user back from `to_metadata`."""
        role = data.get("role")
        return cls(uuid.UUID(data["user_id"]), data["username"], data.get("client_id"), Role(role) if role else None)


def parse_identifier(identifier: str) -> tuple[str | None, str]:
    """(client id, username) from `username@client_id`; no `@` means the platform superadmin."""
    username, at, client_id = identifier.strip().rpartition("@")
    if not at:
        return None, client_id
    return client_id or None, username
