"""How the console words and lays out what the domain returns: tool steps, approvals and decisions,
photo matches, the operations & control panel, the policy snapshot and the Client Admin tables.
Pure functions, tested without a browser."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from chat_ui.charts import money
from chat_ui.console import PolicySnapshot, ProductMatch
from domain.admin import PlatformOverview
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
