"""How the console words and lays out what the domain returns: tool steps, approvals and decisions,
the customer inbox, photo matches, the operations & control panel, the policy snapshot and the
Client Admin tables.
Pure functions, tested without a browser."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from chat_ui.charts import money
from chat_ui.console import PolicySnapshot, ProductMatch, ShopLists
from domain.admin import PlatformOverview
from domain.messaging import CustomerThread, LogLine
from domain.models import Approval, ApprovalStatus
from domain.operations import ControlPanel
from graph.conversations import Conversation, Decision

STARTERS: tuple[tuple[str, str], ...] = (
    ("Today's dashboard", "Show me today's dashboard"),
    ("Low stock", "What is low on stock?"),
    ("P&L this month", "How much profit did we make this month?"),
    ("Record a stock receipt", "Receive 20 CCTS00-M at 6.50"),
    ("Create an order for a customer", "I want to buy 2 linen summer shirts, deliver to 5 Admiralty Way, Lekki"),
)
"""(label, message) of the starter buttons on a new chat."""

DASHBOARD_TOOLS = frozenset({"get_dashboard"})
"""Tools whose answer the console shows as the command-center view."""


def tool_input(args: dict[str, Any]) -> str:
    """A tool call's arguments, as the step's input."""
    return json.dumps(args, indent=2, ensure_ascii=False, default=str)


def wants_dashboard(tools: list[str]) -> bool:
    """Whether a turn read the dashboard (then its charts follow the answer)."""
    return any(tool in DASHBOARD_TOOLS for tool in tools)


def approval_text(approval: Approval) -> str:
    """A pending request as the owner reads it."""
    who = f"{approval.requested_role.value} on {approval.requested_channel.value}"
    when = approval.created_at.strftime("%Y-%m-%d %H:%M UTC")
    text = f"**Approval needed** ({approval.kind.value}, asked by {who}, {when})\n\n{approval.summary}"
    if "discount_pct" in approval.payload:
        text += f"\n\nDiscount asked: **{approval.payload['discount_pct']} %**"
    return text


def decision_text(decision: Decision) -> str:
    """What the owner sees after deciding: the outcome, and what the requester was told."""
    approval = decision.approval
    result = approval.result or {}
    if approval.status is ApprovalStatus.APPROVED and "order_number" in result:
        outcome = f"Approved: order #{result['order_number']} placed ({result['status']}, total {result['total']})."
    elif approval.status is ApprovalStatus.APPROVED and "movement_id" in result:
        outcome = f"Approved: stock adjusted by {result['quantity']}, {result['on_hand']} now on hand."
    elif approval.status is ApprovalStatus.APPROVED:
        outcome = "Approved and done."
    elif approval.status is ApprovalStatus.REJECTED:
        outcome = "Rejected: nothing was changed."
    else:
        outcome = f"It could not be done: {result.get('error', approval.status.value)}."
    if decision.reply:
        outcome += f"\n\nThe requester ({decision.notify.channel.value}) was told: {decision.reply}"
    return outcome


def pushed_decision_text(decision: Decision) -> str:
    """What a requester's open console session shows when the owner decides (the resumed reply)."""
    verb = "rejected" if decision.approval.status is ApprovalStatus.REJECTED else "approved"
    return f"**The owner {verb} your request.** {decision.reply}"


def conversations_text(conversations: list[Conversation]) -> str:
    """The user's recent conversations, introducing the buttons that reopen them."""
    if not conversations:
        return ""
    return "Continue an earlier conversation:"


def conversation_label(conversation: Conversation) -> str:
    """A reopen button's label: the first message, shortened, and when it was last used."""
    title = conversation.title or "(no message yet)"
    title = title if len(title) <= 40 else title[:39] + "…"
    return f"{title} · {conversation.last_at:%b %d %H:%M}"


def photo_matches_text(matches: list[ProductMatch], currency: str) -> str:
    """The products found from a photo, best first."""
    if not matches:
        return "No product of this shop looks like that photo. Try a clearer picture or search by name."
    lines = ["Products that look like your photo:"]
    for rank, match in enumerate(matches, 1):
        price = money(match.price, currency) if match.price is not None else "no active variant"
        skus = ", ".join(match.skus) or "-"
        lines.append(f"{rank}. **{match.name}** ({skus}), {price}, similarity {match.score:.2f}")
    return "\n".join(lines)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "never" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def control_panel_text(panel: ControlPanel, timezone: str) -> str:
    """Activity per channel, sensitive order changes and data freshness, as Markdown."""
    zone = ZoneInfo(timezone)
    lines = [f"### Operations & control (last {panel.days} days)", "", "| channel | logins | agent turns |"]
    lines.append("| --- | ---: | ---: |")
    lines += [f"| {row.channel} | {row.logins} | {row.agent_turns} |" for row in panel.activity] or ["| - | 0 | 0 |"]
    failed = sum(day.count for day in panel.failed_logins)
    lines += ["", f"**Failed logins:** {failed} in {panel.days} days.", "", "**Sensitive order changes**"]
    if panel.alerts:
        lines += [
            f"- {_local(alert.at, zone)}: {alert.action.replace('_', ' ')} by {alert.actor_name or 'someone'} "
            f"({alert.channel}), order {alert.order_id or '?'}"
            for alert in panel.alerts
        ]
    else:
        lines.append("- none")
    lines += ["", "**Data freshness** (newest record, shop time)"]
    lines += [f"- {name}: {_local(moment, zone)}" for name, moment in panel.freshness.items()]
    return "\n".join(lines)


def failed_logins_figure(panel: ControlPanel) -> go.Figure:
    """Failed logins per local day."""
    figure = go.Figure(
        [go.Scatter(x=[d.day.isoformat() for d in panel.failed_logins], y=[d.count for d in panel.failed_logins])]
    )
    figure.update_layout(title="Failed logins per day", height=260, margin={"l": 40, "r": 20, "t": 50, "b": 40})
    return figure


def policy_text(snapshot: PolicySnapshot) -> str:
    """The sidebar's policy snapshot: profile, hours, discount cap, commission, returns."""
    c = snapshot.client
    returns = f"{c.return_window_days} days" if c.return_window_days else "no returns"
    return "\n".join(
        [
            f"### {c.name}",
            c.business_overview or "_No business overview yet._",
            "",
            f"- **Hours:** {c.opening_hours:%H:%M}–{c.closing_hours:%H:%M} ({c.timezone}), "
            f"{'open now' if snapshot.is_open_now else 'closed now'}",
            f"- **Discount cap:** {c.max_discount_pct} % (owner approval above {c.auto_approve_discount_pct} %)",
            f"- **Sales commission:** {c.sales_commission_pct} %",
            f"- **Returns:** {returns}. {c.return_refund_policy}".rstrip(),
            f"- **Currency:** {c.currency}",
            f"- **WhatsApp:** {c.whatsapp_number or 'not connected'}",
        ]
    )


def client_admin_table(overview: PlatformOverview) -> pd.DataFrame:
    """One row per shop: orders, net sales, inventory value, units on hand."""
    return pd.DataFrame(
        [
            {
                "client": row.client_id,
                "name": row.name,
                "currency": row.currency,
                "orders": row.order_count,
                "net sales": float(row.net_sales),
                "inventory value": float(row.inventory_value),
                "units on hand": row.units_on_hand,
            }
            for row in overview.clients
        ],
        columns=["client", "name", "currency", "orders", "net sales", "inventory value", "units on hand"],
    )


def client_admin_text(overview: PlatformOverview, client_filter: str | None) -> str:
    """The totals per currency above the shops' table."""
    scope = f"shop {client_filter}" if client_filter else "all shops"
    lines = [f"### Client Admin: {scope} ({overview.client_count} shops)"]
    lines += [
        f"- {t.currency}: {t.client_count} shops, {t.order_count} orders, net sales {money(t.net_sales, t.currency)}, "
        f"inventory {money(t.inventory_value, t.currency)}"
        for t in overview.totals
    ]
    return "\n".join(lines)


def inbox_text(threads: list[CustomerThread]) -> str:
    """Above the customers' conversations, or the empty inbox."""
    if not threads:
        return "No customer has written on WhatsApp yet."
    waiting = sum(thread.waiting for thread in threads)
    return f"### Customer inbox (WhatsApp)\n{len(threads)} latest conversations, {waiting} waiting for an answer."


def customer_thread_text(thread: CustomerThread) -> str:
    """One customer's conversation: who answers them, the 24-hour window, their messages in order."""
    who = f"**{thread.handled_by}** answers in person" if thread.handled_by else "the agent answers"
    window = "window open" if thread.window_open else "24-hour window closed (a template goes out instead)"
    header = f"**{thread.name or thread.wa_id}** ({thread.wa_id}) · {who} · {window}"
    if thread.waiting:
        header += " · **waiting for an answer**"
    lines = [header, ""]
    for line in reversed(thread.messages):
        speaker = (thread.name or "customer") if line.direction == "in" else "shop"
        lines.append(f"- {line.at:%b %d %H:%M} UTC · {speaker}: {line.text}")
    return "\n".join(lines)


def human_reply_text(line: LogLine, name: str) -> str:
    """What the person who answered `name` sees: the message as recorded in the outbox."""
    if line.kind == "template":
        return f"The 24-hour window is closed, so {name} gets {line.text} instead (state: {line.state})."
    return f"Sent to {name} on WhatsApp as the business: “{line.text}” (state: {line.state})."


def users_table(lists: ShopLists) -> pd.DataFrame:
    """The Client Admin's users: shop, username, role, active, created."""
    return pd.DataFrame(
        [
            {
                "client": u.client_id,
                "username": u.username,
                "role": u.role.value,
                "active": u.is_active,
                "created": f"{u.created_at:%Y-%m-%d}",
            }
            for u in lists.users
        ],
        columns=["client", "username", "role", "active", "created"],
    )


def products_table(lists: ShopLists) -> pd.DataFrame:
    """The Client Admin's products: shop, name, category, SKUs, lowest price, units on hand, active."""
    return pd.DataFrame(
        [
            {
                "client": p.client_id,
                "product": p.name,
                "category": p.category,
                "skus": ", ".join(v.sku for v in p.variants),
                "price from": float(min((v.price for v in p.variants), default=0)),
                "on hand": sum(v.on_hand for v in p.variants),
                "active": p.is_active,
            }
            for p in lists.products
        ],
        columns=["client", "product", "category", "skus", "price from", "on hand", "active"],
    )


def orders_table(lists: ShopLists) -> pd.DataFrame:
    """The Client Admin's orders, newest first: shop, number, status, channel, total, created."""
    return pd.DataFrame(
        [
            {
                "client": o.client_id,
                "order": o.number,
                "status": o.status.value,
                "channel": o.channel.value,
                "total": float(o.total),
                "created": f"{o.created_at:%Y-%m-%d %H:%M}",
            }
            for o in lists.orders
        ],
        columns=["client", "order", "status", "channel", "total", "created"],
    )


def shop_lists_text(lists: ShopLists, client_filter: str | None) -> str:
    """Above the users, products and orders tables: how many there are, how many shown."""
    scope = f"shop {client_filter}" if client_filter else "all shops"

    def count(shown: int, total: int, what: str) -> str:
        return f"{total} {what}" + (f" (first {shown} shown)" if shown < total else "")

    return (
        f"**Lists of {scope}:** {count(len(lists.users), lists.user_count, 'users')}, "
        f"{count(len(lists.products), lists.product_count, 'products')}, "
        f"{count(len(lists.orders), lists.order_count, 'orders')}."
    )


def customer_label(thread: CustomerThread) -> str:
    """How buttons and prompts name the customer."""
    return thread.name or thread.wa_id
