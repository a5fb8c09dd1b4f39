"""Login, user and second-factor schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Text
from domain.models import Role

Username = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._@+-]+$")


class LoginRequest(BaseModel):
    """Credentials; `client_id` is omitted only by the platform superadmin."""

    model_config = ConfigDict(extra="forbid")

    client_id: Text | None = Field(default=None, min_length=1, max_length=40)
    username: str = Username
    password: str = Field(min_length=1, max_length=200)


class TokenRead(BaseModel):
    """A bearer access token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    role: str
    client_id: str | None


class UserCreate(BaseModel):
    """An owner adds an owner or staff member to their client."""

    model_config = ConfigDict(extra="forbid")

    username: str = Username
    password: str = Field(min_length=8, max_length=200)
    role: Role = Role.STAFF


class PasswordReset(BaseModel):
    """A new password an owner sets for a staff member."""

    model_config = ConfigDict(extra="forbid")

    new_password: str = Field(min_length=8, max_length=200)


class PasswordChange(BaseModel):
    """Your current password and the new one."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=200)


class UserRead(BaseModel):
    """A user, without secrets."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: str
    username: str
    role: Role
    is_active: bool
    created_at: datetime


class TotpEnrollRequest(BaseModel):
    """The proof a first enrolment needs: your password (a replacement sends X-2FA-Code instead)."""

    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(default=None, min_length=1, max_length=200)


class TotpEnrollment(BaseModel):
    """Scan `otpauth_uri` into an authenticator; its codes then unlock sensitive changes."""

    otpauth_uri: str
    secret: str


class WhatsAppNumberSet(BaseModel):
    """Your own WhatsApp number (international, or local with the business's calling code)."""

    model_config = ConfigDict(extra="forbid")

    number: Text = Field(min_length=4, max_length=32)


class WhatsAppCode(BaseModel):
    """The one-time code WhatsApp brought to your number."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^\s*[0-9]{6}\s*$")


class WhatsAppNumberRead(BaseModel):
    """Your personal WhatsApp number: the proved one, and one waiting for its code."""

    model_config = ConfigDict(from_attributes=True)

    number: str | None
    verified_at: datetime | None
    pending_number: str | None
    code_expires_at: datetime | None
    attempts_left: int
