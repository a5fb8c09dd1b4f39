"""All ORM models, in one metadata (import this package to register every table)."""

from domain.models.approvals import Approval, ApprovalKind, ApprovalState
from domain.models.base import TENANT_TABLES, Base
from domain.models.catalog import Product, Variant
from domain.models.images import ProductImage
from domain.models.inventory import MovementKind, ReceiptLayer, StockMovement
from domain.models.ledger import Account, AuditEvent, JournalEntry, JournalLine
from domain.models.orders import (
    ApprovalStatus,
    Channel,
    ItemCondition,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Return,
    ReturnKind,
    ReturnLine,
)
from domain.models.reporting import JournalHour
from domain.models.tenancy import Client, Customer, PlatformAdmin, Role, User
from domain.models.usage import AgentTurn

APPEND_ONLY_TABLES = ("stock_movements", "journal_entries", "journal_lines", "audit_events", "agent_turns")

__all__ = [
    "APPEND_ONLY_TABLES",
    "TENANT_TABLES",
    "Account",
    "AgentTurn",
    "Approval",
    "ApprovalKind",
    "ApprovalState",
    "ApprovalStatus",
    "AuditEvent",
    "Base",
    "Channel",
    "Client",
    "Customer",
    "ItemCondition",
    "JournalEntry",
    "JournalHour",
    "JournalLine",
    "MovementKind",
    "Order",
    "OrderLine",
    "OrderStatus",
    "PaymentMethod",
    "PaymentStatus",
    "PlatformAdmin",
    "Product",
    "ProductImage",
    "ReceiptLayer",
    "Return",
    "ReturnKind",
    "ReturnLine",
    "Role",
    "StockMovement",
    "User",
    "Variant",
]
