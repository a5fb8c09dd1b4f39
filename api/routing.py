"""The routers' route class: a sync route takes one trip through the thread pool, not two."""

from __future__ import annotations

import functools
from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


def in_worker_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint` (sync) as a coroutine that runs it whole in one worker thread."""

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return run


class OneThreadRoute(APIRoute):
    """FastAPI runs a sync route in a worker thread and then validates its answer in a *second*
    one. Here the route (its transaction committed before it returns, its answer already a
    response model) runs in one thread, and the answer is checked and serialised in the event
    loop. Under load every trip waits for a free thread and for the GIL."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint if iscoroutinefunction(endpoint) else in_worker_thread(endpoint), **kwargs)


class ApiRouter(APIRouter):
    """An APIRouter with `OneThreadRoute` routes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(route_class=OneThreadRoute, **kwargs)
