"""Retry-safe writes: a write done under an idempotency key happens once; a retry with the same key
and the same arguments gets the row the first one produced, other arguments are refused.

The key row is inserted in the same transaction as the write, before it: a concurrent duplicate
waits on the primary key until the first commits (then returns its result) or rolls back (then
writes itself). Keys are per client. Orders keep their own key column (`orders.create_order`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.context import Context, scoped
from domain.errors import IdempotencyKeyReused, ValidationFailed
from domain.models import IdempotencyKey

T = TypeVar("T")
MAX_KEY_LENGTH = 200


def fingerprint(action: str, arguments: dict[str, Any]) -> str:
    """A hash of what was asked, to tell a retry from a different request under the same key."""
    body = json.dumps({"action": action, **arguments}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def check_key(key: str) -> str:
    """A key of 1 to 200 characters."""
    if not (0 < len(key) <= MAX_KEY_LENGTH):
        raise ValidationFailed(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters")
    return key


def once(
    session: Session,
    ctx: Context,
    key: str | None,
    action: str,
    arguments: dict[str, Any],
    write: Callable[[], T],
    target: Callable[[T], object],
    load: Callable[[str], T],
) -> T:
    """Run `write` once per `key`: the first call writes and remembers `target(result)`; a retry
    returns `load(that id)`. Without a key, just `write()`."""
    if key is None:
        return write()
    scoped(session, ctx)
    marker = fingerprint(action, arguments)
    claimed = session.execute(
        insert(IdempotencyKey)
        .values(client_id=ctx.client_id, key=check_key(key), action=action, fingerprint=marker)
        .on_conflict_do_nothing(index_elements=["client_id", "key"])
        .returning(IdempotencyKey.key)
    ).first()
    if claimed is None:
        first = session.execute(
            select(IdempotencyKey.fingerprint, IdempotencyKey.target_id).where(
                IdempotencyKey.client_id == ctx.client_id, IdempotencyKey.key == key
            )
        ).one()
        if first.fingerprint != marker or first.target_id is None:
            raise IdempotencyKeyReused(f"the idempotency key {key!r} was already used for a different request")
        return load(first.target_id)
    result = write()
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.client_id == ctx.client_id, IdempotencyKey.key == key)
        .values(target_id=str(target(result)))
        .execution_options(synchronize_session=False)
    )
    return result
