"""Database engines, sessions and the per-transaction tenant setting that row-level security reads."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from infra.settings import ConfigError, Settings

TENANT_KEY = "client_id"
PLATFORM_KEY = "platform_admin"
FIXED_KEY = "tenant_fixed"
"""Set on sessions opened by `transaction`: their tenant is the unit of work's and may not change."""
ACTOR_KEY = "actor"
"""(user id, role) of the account a unit of work acts for: checked by the statement that scopes it."""
ACTOR_CHECKED_KEY = "actor_checked"
"""(actor, whether the account is active with that role), as the scoping statement found it."""


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for every PostgreSQL URL (one driver for the app and the checkpointer)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def app_role_password(secret_key: str, role: str) -> str:
    """The application role's password, derived from SECRET_KEY so no second secret is needed."""
    return hmac.new(secret_key.encode(), f"db-role:{role}".encode(), hashlib.sha256).hexdigest()


def app_url(owner_url: str, role: str, password: str) -> str:
    """The owner URL with the application login role in place of the owner."""
    parsed = make_url(normalize_url(owner_url))
    return parsed.set(username=role, password=password).render_as_string(hide_password=False)


CONNECT_TIMEOUT_S = 10


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine for `url` with pre-ping (a restarted server does not break pooled connections)
    and a connect timeout (an unreachable host fails instead of hanging)."""
    kwargs.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT_S})
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(normalize_url(url), **kwargs)


def session_options(settings: Settings) -> str:
    """libpq `options` bounding every application connection: no statement, lock wait or idle
    transaction lasts past its limit, so nothing holds locks forever."""
    return (
        f"-c statement_timeout={settings.DB_STATEMENT_TIMEOUT_MS} -c lock_timeout={settings.DB_LOCK_TIMEOUT_MS} "
        f"-c idle_in_transaction_session_timeout={settings.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS}"
    )


def check_reachable(engine: Engine, what: str) -> None:
    """Raise ConfigError with one readable line when the database cannot be reached."""
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(f"cannot reach PostgreSQL ({what}): {reason}; check DATABASE_URL") from None


def ensure_app_role(owner_engine: Engine, role: str, password: str) -> None:
    """Create or update the application login role: no superuser, no BYPASSRLS, owns nothing.

    It gets DML on the owner's future tables in `public` through default privileges, so the
    migrations that create tables grant it and may narrow it (UPDATE/DELETE are revoked on the
    append-only ledgers). Nothing here re-grants on existing tables: a second `migrate` must not
    undo those revokes.
    """
    with owner_engine.begin() as connection:
        owner = connection.execute(text("SELECT current_user")).scalar_one()
        exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        quoted = connection.dialect.identifier_preparer.quote(role)
        verb = "ALTER" if exists else "CREATE"
        literal_password = "'" + password.replace("'", "''") + "'"
        attributes = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
        connection.execute(text(f"{verb} ROLE {quoted} {attributes} PASSWORD {literal_password}"))
        database = connection.execute(text("SELECT current_database()")).scalar_one()
        quoted_db = connection.dialect.identifier_preparer.quote(database)
        quoted_owner = connection.dialect.identifier_preparer.quote(owner)
        for statement in (
            f"GRANT CONNECT ON DATABASE {quoted_db} TO {quoted}",
            f"GRANT USAGE ON SCHEMA public TO {quoted}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quoted_owner} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quoted_owner} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
        ):
            connection.execute(text(statement))


def app_role_url(settings: Settings) -> str:
    """DATABASE_URL with the application role (and its derived password) in place of the owner."""
    database_url, _ = settings.service_urls()
    role = settings.DATABASE_APP_ROLE
    return app_url(database_url, role, app_role_password(settings.secret_key(), role))


def connect_app_engine(settings: Settings) -> Engine:
    """An engine for the application role, checked reachable and bound by row-level security
    (refusing a privileged role). Its password derives from SECRET_KEY; `easy-ecom migrate` creates it.

    A bounded pool (DB_POOL_SIZE, no overflow; a request waits DB_POOL_TIMEOUT_S at most for a
    connection) and per-connection timeouts (`session_options`)."""
    engine = make_engine(
        app_role_url(settings),
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=0,
        pool_timeout=settings.DB_POOL_TIMEOUT_S,
        pool_pre_ping=False,  # a dead connection fails one request (503) and invalidates the pool
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "options": session_options(settings)},
    )
    try:
        check_reachable(
            engine, f"as the application role {settings.DATABASE_APP_ROLE}; run `easy-ecom migrate` first if it is new"
        )
        assert_unprivileged(engine)
    except ConfigError:
        engine.dispose()
        raise
    return engine


def assert_unprivileged(engine: Engine) -> None:
    """Refuse to run the app as a role that row-level security would not bind."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT r.rolsuper, r.rolbypassrls, "
                "EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public' AND t.tableowner = r.rolname) "
                "FROM pg_roles r WHERE r.rolname = current_user"
            )
        ).one()
    if any(row):
        raise ConfigError(
            "the application database role is a superuser, has BYPASSRLS or owns tables; "
            "row-level security would not apply. Run `easy-ecom migrate` and use the app role"
        )


_SET_SCOPE = text("SELECT set_config('app.client_id', :cid, true), set_config('app.platform_admin', :pa, true)")
_SET_SCOPE_CHECK_ACTOR = text("SELECT app_scope(:cid, :pa, :uid, :role)")


def _apply_scope(connection: Connection, info: dict[str, object]) -> None:
    """Set the transaction's tenant; with an actor, check their account in the same round trip
    (`app_scope()`, migration 0016: the rule and the lookup, under RLS, live there)."""
    client_id = info.get(TENANT_KEY)
    scope = {"cid": str(client_id) if client_id else "", "pa": "on" if info.get(PLATFORM_KEY) else ""}
    actor = info.get(ACTOR_KEY)
    if actor is None:
        connection.execute(_SET_SCOPE, scope)
        return
    user_id, role = actor  # type: ignore[misc]
    active = connection.execute(_SET_SCOPE_CHECK_ACTOR, scope | {"uid": user_id, "role": role}).scalar_one()
    info[ACTOR_CHECKED_KEY] = (actor, active)


@event.listens_for(Session, "after_begin")
def _scope_new_transaction(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    """Every transaction starts with the session's tenant, so RLS policies see it (SET LOCAL); a
    savepoint inside it already has it (and a rollback to one keeps it)."""
    if not transaction.nested:
        _apply_scope(connection, session.info)


def set_tenant(session: Session, client_id: str | None, *, platform_admin: bool = False) -> None:
    """Scope `session` to one tenant (or the platform admin); applies at once if a transaction is open."""
    session.info[TENANT_KEY] = client_id
    session.info[PLATFORM_KEY] = platform_admin
    if session.in_transaction():
        _apply_scope(session.connection(), session.info)


def actor_is_active(session: Session, user_id: uuid.UUID | None, role: str) -> bool:
    """Whether `user_id` is an active account with `role` in the session's tenant: as the statement
    that scoped this transaction found it when it acted for that user, else asked now."""
    if user_id is None:
        return False  # no account to check: nobody
    actor = (user_id, role)
    session.connection()  # begins the transaction (and scopes it) when it has not begun yet
    checked = session.info.get(ACTOR_CHECKED_KEY)
    if checked is not None and checked[0] == actor:
        return bool(checked[1])
    session.info[ACTOR_KEY] = actor
    _apply_scope(session.connection(), session.info)
    return bool(session.info[ACTOR_CHECKED_KEY][1])


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep attributes after commit (services return loaded objects)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(
    factory: sessionmaker[Session],
    client_id: str | None = None,
    *,
    platform_admin: bool = False,
    actor: tuple[uuid.UUID, str] | None = None,
) -> Iterator[Session]:
    """One unit of work: open a session scoped to `client_id` (or the platform admin's scope),
    commit on success, roll back on error. With `actor` (user id, role), the statement that
    scopes the transaction also checks that account (`actor_is_active` reads the answer)."""
    with factory() as session:
        set_tenant(session, client_id, platform_admin=platform_admin)
        session.info[FIXED_KEY] = True
        if actor is not None:
            session.info[ACTOR_KEY] = actor
        with session.begin():
            yield session
