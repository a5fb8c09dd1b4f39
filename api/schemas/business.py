"""The business's own profile and policies: read by owners and staff (staff see no commission), changed by owners."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema

from api.schemas.common import Percent, Text, set_fields

ApiKeyName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _local(moment: time) -> time:
    if moment.tzinfo is not None:
        raise ValueError("give the shop's local time without an offset (the timezone field says where)")
    return moment


ClockIn = Annotated[
    time, AfterValidator(_local), WithJsonSchema({"type": "string", "pattern": CLOCK_PATTERN, "examples": ["09:00"]})
]
"""A local wall-clock time, `HH:MM` or `HH:MM:SS`, in the business's timezone."""
ClockOut = Annotated[
    time,
    PlainSerializer(lambda moment: moment.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": CLOCK_PATTERN, "examples": ["09:00"]}),
]
NULLABLE_FIELDS = frozenset(
    {
        "whatsapp_number",
        "whatsapp_phone_number_id",
        "whatsapp_business_account_id",
        "whatsapp_fallback_template",
        "messenger",
        "country_calling_code",
    }
)


class BusinessFields(BaseModel):
    """Every profile and policy field a business sets; omitted fields stay (or take the defaults)."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    business_overview: Text | None = Field(default=None, max_length=5000)
    timezone: Text | None = Field(default=None, max_length=64, description="IANA name, e.g. Africa/Lagos")
    opening_hours: ClockIn | None = Field(default=None, description="local time, e.g. 09:00")
    closing_hours: ClockIn | None = Field(default=None, description="local time; before opening means past midnight")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    max_discount_pct: Percent | None = None
    auto_approve_discount_pct: Percent | None = Field(default=None, description="at most max_discount_pct")
    sales_commission_pct: Percent | None = None
    return_window_days: int | None = Field(default=None, ge=0, le=3650, description="0: no returns")
    return_refund_policy: Text | None = Field(default=None, max_length=5000)
    whatsapp_number: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{7,14}$", description="E.164")
    whatsapp_phone_number_id: str | None = Field(default=None, pattern=r"^[0-9]{5,64}$")
    whatsapp_business_account_id: str | None = Field(default=None, pattern=r"^[0-9]{5,64}$")
    whatsapp_fallback_template: str | None = Field(
        default=None, pattern=r"^[a-z0-9_]{1,512}$", description="approved template sent outside the 24-hour window"
    )
    whatsapp_template_language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    messenger: Text | None = Field(default=None, max_length=200)
    required_api_keys: list[ApiKeyName] | None = Field(
        default=None, max_length=20, description="names of the integrations' keys (never the keys)"
    )
    country_calling_code: str | None = Field(
        default=None, pattern=r"^[1-9][0-9]{0,2}$", description="e.g. 234; completes local phone numbers"
    )
    agent_language: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", description="BCP 47, e.g. en, fr, pcm"
    )
    off_hours_reply: Text | None = Field(default=None, max_length=1000, description="sent outside opening hours")
    receipt_cost_band_pct: Decimal | None = Field(
        default=None, ge=0, le=999, max_digits=5, decimal_places=2, description="receipt cost band around average"
    )
    daily_adjustment_approval_units: int | None = Field(
        default=None, ge=1, le=1_000_000, description="staff adjustments above this per day need the owner"
    )


class BusinessUpdate(BusinessFields):
    """Profile and policy changes (owners only); `null` clears the WhatsApp number and id, the
    messenger and the calling code."""

    def changes(self) -> dict[str, object]:
        return set_fields(self, NULLABLE_FIELDS)


class BusinessRead(BaseModel):
    """The business as staff see it (no commission)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    business_overview: str
    timezone: str
    opening_hours: ClockOut
    closing_hours: ClockOut
    currency: str
    max_discount_pct: Decimal
    auto_approve_discount_pct: Decimal
    return_window_days: int
    return_refund_policy: str
    whatsapp_number: str | None
    whatsapp_phone_number_id: str | None
    whatsapp_business_account_id: str | None
    whatsapp_fallback_template: str | None
    whatsapp_template_language: str
    messenger: str | None
    required_api_keys: list[str]
    country_calling_code: str | None
    agent_language: str
    off_hours_reply: str
    receipt_cost_band_pct: Decimal
    daily_adjustment_approval_units: int


class BusinessOwnerRead(BusinessRead):
    """The business with the sales commission (owners only)."""

    sales_commission_pct: Decimal
