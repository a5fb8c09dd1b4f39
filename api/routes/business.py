"""/business: the business's own profile and policies."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentContext, OwnerContext
from api.deps import SessionDep
from api.schemas.business import BusinessOwnerRead, BusinessRead, BusinessUpdate
from domain import tenancy
from domain.context import Context, scoped
from domain.models import Client, Role

router = APIRouter(prefix="/business", tags=["business"])


def present(client: Client, ctx: Context) -> BusinessOwnerRead | BusinessRead:
    """Owners see the sales commission; staff do not."""
    schema = BusinessOwnerRead if ctx.role is Role.OWNER else BusinessRead
    return schema.model_validate(client)


@router.get("")
def get_business(ctx: CurrentContext, session: SessionDep) -> BusinessOwnerRead | BusinessRead:
    """Your business's profile and policies."""
    return present(tenancy.get_client(scoped(session, ctx), ctx.client_id), ctx)


@router.patch("")
def update_business(body: BusinessUpdate, ctx: OwnerContext, session: SessionDep) -> BusinessOwnerRead | BusinessRead:
    """Change the profile or policies (owners only); every change is audited with before and after."""
    return present(tenancy.update_client(session, ctx, body.changes()), ctx)
