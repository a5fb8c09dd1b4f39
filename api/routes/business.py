"""/business: the business's own profile and policies."""

from __future__ import annotations

from api.auth import CurrentCaller, OwnerCaller
from api.routing import ApiRouter
from api.schemas.business import BusinessOwnerRead, BusinessRead, BusinessUpdate
from domain import tenancy
from domain.context import Context, scoped
from domain.models import Client, Role

router = ApiRouter(prefix="/business", tags=["business"])


def present(client: Client, ctx: Context) -> BusinessOwnerRead | BusinessRead:
    """Owners see the sales commission; staff do not."""
    schema = BusinessOwnerRead if ctx.role is Role.OWNER else BusinessRead
    return schema.model_validate(client)


@router.get("")
def get_business(caller: CurrentCaller) -> BusinessOwnerRead | BusinessRead:
    """Your business's profile and policies."""
    with caller.transaction() as (session, ctx):
        return present(tenancy.get_client(scoped(session, ctx), ctx.client_id), ctx)


@router.patch("")
def update_business(body: BusinessUpdate, caller: OwnerCaller) -> BusinessOwnerRead | BusinessRead:
    """Change the profile or policies (owners only); every change is audited with before and after."""
    with caller.transaction() as (session, ctx):
        return present(tenancy.update_client(session, ctx, body.changes()), ctx)
