"""The routers' route class (a sync route takes one trip through the thread pool, not two), and
routers that decline a path outside their prefix at once."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from inspect import iscoroutinefunction
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

from api.deps import OUTSIDE_SERVICES

_outside_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor] = weakref.WeakKeyDictionary()


def in_worker_thread(endpoint: Callable[..., Any], *, outside: bool = False) -> Callable[..., Any]:
    """`endpoint` (sync) as a coroutine that runs it whole in one worker thread: of the event loop's
    executor (API_THREADS threads), or with `outside` of the pool for routes that wait on an
    outside service (API_OUTSIDE_THREADS). asyncio's hand-over, without anyio's cancel scope and
    capacity limiter around it, costs a request less of the loop."""

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, endpoint, *args, **kwargs)
        return await loop.run_in_executor(_outside_pools.get(loop) if outside else None, call)

    return run


@contextmanager
def route_threads(count: int, outside_count: int) -> Iterator[None]:
    """Give the running event loop its two pools of route threads while inside: `count` threads
    (its default executor) and `outside_count` for the routes that wait on an outside service."""
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(count, thread_name_prefix="api-route")
    outside = _outside_pools[loop] = ThreadPoolExecutor(outside_count, thread_name_prefix="api-outside")
    loop.set_default_executor(executor)
    try:
        yield
    finally:
        del _outside_pools[loop]
        outside.shutdown(wait=False)
        executor.shutdown(wait=False)


def waits_outside(dependant: Dependant) -> bool:
    """Whether a route (its dependency tree) uses one of the OUTSIDE_SERVICES."""
    return any(d.call in OUTSIDE_SERVICES or waits_outside(d) for d in dependant.dependencies)


class OneThreadRoute(APIRoute):
    """FastAPI runs a sync route in a worker thread and then validates its answer in a *second*
    one. Here the route (its transaction committed before it returns, its answer already a
    response model) runs in one thread, and the answer is checked and serialised in the event
    loop. Under load every trip waits for a free thread and for the GIL. A route that waits on an
    outside service runs in the outside pool: a slow model cannot take the database routes' threads."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not iscoroutinefunction(endpoint):
            endpoint = in_worker_thread(endpoint, outside=waits_outside(get_dependant(path=path, call=endpoint)))
        super().__init__(path, endpoint, **kwargs)


class ApiRouter(APIRouter):
    """An APIRouter with `OneThreadRoute` routes. Included with `include_in`, it declines at once
    a path outside its prefix: FastAPI asks every included router in turn whether a request is
    theirs, and each tried all its routes (40 route matches for a product's GET, ≈ 70 µs)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(route_class=OneThreadRoute, **kwargs)
        self.full_prefix = ""  # where the app serves it: the include's prefix and its own

    def include_in(self, app: FastAPI, prefix: str = "", **kwargs: Any) -> None:
        """`app.include_router(self, prefix=prefix, **kwargs)`, remembering where it is served."""
        self.full_prefix = prefix + self.prefix
        app.include_router(self, prefix=prefix, **kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.full_prefix:
            path = get_route_path(scope)
            if not (path == self.full_prefix or path.startswith(self.full_prefix + "/")):
                return Match.NONE, {}
        return super().matches(scope)
