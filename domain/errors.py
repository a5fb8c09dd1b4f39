"""Typed domain errors. No HTTP status here: api/ and tools/ each map them once."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request; `message` says what to do instead."""

    code = "domain_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """The thing does not exist for this tenant (another tenant's ids are indistinguishable)."""

    code = "not_found"


class ValidationFailed(DomainError):
    """The request is malformed: a quantity, amount or field is not acceptable."""

    code = "validation_failed"


class UnsupportedMedia(ValidationFailed):
    """The upload is not a kind of file this accepts (photos: JPEG, PNG or WebP)."""

    code = "unsupported_media"


class PayloadTooLarge(ValidationFailed):
    """The upload is bigger than allowed."""

    code = "payload_too_large"


class OutOfStock(DomainError):
    """Not enough stock for a line; nothing was taken."""

    code = "out_of_stock"


class PolicyViolation(DomainError):
    """The business's policy (discount cap, return window, …) forbids this."""

    code = "policy_violation"


class InvalidTransition(DomainError):
    """The order (or return) is not in a state that allows this."""

    code = "invalid_transition"


class Conflict(DomainError):
    """The request collides with existing data (duplicate SKU, idempotency key in flight, …)."""

    code = "conflict"


class IdempotencyKeyReused(ValidationFailed):
    """The idempotency key was already used with a different request body."""

    code = "idempotency_key_reused"


class Forbidden(DomainError):
    """The acting role may not do this."""

    code = "forbidden"


class AuthenticationFailed(DomainError):
    """Credentials were wrong, or the account is locked or inactive."""

    code = "authentication_failed"


class RateLimited(DomainError):
    """Too many requests or attempts; `retry_after` seconds until the window resets."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class ApprovalRequired(DomainError):
    """Only the owner may do this; the requester can ask for the owner's approval instead
    (`approvals.submit` records the request and runs it once the owner approves)."""

    code = "approval_required"
