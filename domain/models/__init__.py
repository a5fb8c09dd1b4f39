"""All ORM models, in one metadata (import this package to register every table)."""

from domain.models.approvals import Approval, ApprovalKind, ApprovalStatus
from domain.models.base import TENANT_TABLES, Base
from domain.models.catalog import Product, Variant
from domain.models.channel import Channel
from domain.models.credit import CreditKind, StoreCreditMovement
from domain.models.idempotency import IdempotencyKey
from domain.models.images import ProductImage
from domain.models.inventory import MovementKind, ReceiptLayer, StockMovement
from domain.models.ledger import Account, AuditEvent, JournalEntry, JournalLine
from domain.models.messaging import (
    DeliveryStatus,
    InboxMessage,
    InboxState,
    MessageTemplate,
    OutboundMessage,
    OutboundState,
)
from domain.models.orders import (
    ItemCondition,
    Order,
    OrderLine,
    OrderNumber,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    RefundMethod,
    Return,
    ReturnKind,
    ReturnLine,
    ReturnRequest,
    ReturnRequestStatus,
)
from domain.models.reporting import JournalHour
from domain.models.tenancy import Client, Customer, CustomerAddress, PlatformAdmin, Role, User
from domain.models.text_vectors import ProductTextVector
from domain.models.usage import AgentTurn

APPEND_ONLY_TABLES = (
    "stock_movements",
    "journal_entries",
    "journal_lines",
    "audit_events",
    "agent_turns",
    "store_credit_movements",
)

__all__ = [
    "APPEND_ONLY_TABLES",
    "TENANT_TABLES",
    "Account",
    "AgentTurn",
    "Approval",
    "ApprovalKind",
    "ApprovalStatus",
    "AuditEvent",
    "Base",
    "Channel",
    "Client",
    "CreditKind",
    "Customer",
    "CustomerAddress",
    "DeliveryStatus",
    "IdempotencyKey",
    "InboxMessage",
    "InboxState",
    "ItemCondition",
    "JournalEntry",
    "JournalHour",
    "JournalLine",
    "MessageTemplate",
    "MovementKind",
    "Order",
    "OrderLine",
    "OrderNumber",
    "OrderStatus",
    "OutboundMessage",
    "OutboundState",
    "PaymentMethod",
    "PaymentStatus",
    "PlatformAdmin",
    "Product",
    "ProductImage",
    "ProductTextVector",
    "ReceiptLayer",
    "RefundMethod",
    "Return",
    "ReturnKind",
    "ReturnLine",
    "ReturnRequest",
    "ReturnRequestStatus",
    "Role",
    "StockMovement",
    "StoreCreditMovement",
    "User",
    "Variant",
]
