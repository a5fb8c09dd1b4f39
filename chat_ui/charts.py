"""The command-center view as data: a KPI strip, Plotly figures and tables, built from the domain's
reports (the domain owns every number; this module only lays them out, in the client's currency).
Pure functions of the report results, so they are tested without a browser."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go

from domain.messaging import MessageFigures
from domain.reports import AgingBucket, Dashboard, InventoryDays, ProductPerformance

MARGIN_BINS = 10


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard shows, read in one transaction."""

    dashboard: Dashboard
    aging: list[AgingBucket]
    products: list[ProductPerformance]
    inventory_days: list[InventoryDays]
    messages: MessageFigures | None = None
    """The WhatsApp message log over the last 24 hours."""

    @property
    def is_empty(self) -> bool:
        """A new shop: nothing on the shelf and nothing sold in the window."""
        d = self.dashboard
        return d.units_on_hand == 0 and d.order_count_30d == 0 and d.month_to_date.order_count == 0


def money(amount: Decimal, currency: str) -> str:
    """An amount in the client's currency: `USD 1,234.50`."""
    return f"{currency} {amount:,.2f}"


def kpi_strip(data: DashboardData) -> str:
    """The executive KPI strip as a Markdown table: today / week / month to date, then stock and returns."""
    d = data.dashboard
    cur = d.currency
    rows = [
        "| | today | week to date | month to date |",
        "| --- | ---: | ---: | ---: |",
        f"| net sales | {money(d.today.net_sales, cur)} | {money(d.week_to_date.net_sales, cur)} "
        f"| {money(d.month_to_date.net_sales, cur)} |",
        f"| gross profit | {money(d.today.gross_profit, cur)} | {money(d.week_to_date.gross_profit, cur)} "
        f"| {money(d.month_to_date.gross_profit, cur)} |",
        f"| gross margin | {d.today.gross_margin_pct} % | {d.week_to_date.gross_margin_pct} % "
        f"| {d.month_to_date.gross_margin_pct} % |",
        f"| orders | {d.today.order_count} | {d.week_to_date.order_count} | {d.month_to_date.order_count} |",
    ]
    days = "n/a (nothing sold)" if d.days_of_inventory is None else f"{d.days_of_inventory} days"
    stock = (
        f"**Inventory value** {money(d.inventory_value, cur)} ({d.units_on_hand} units) · "
        f"**sell-through (30 d)** {d.sell_through_pct} % · **days of inventory** {days} · "
        f"**returns (30 d)** {d.returns_count_30d}, refunded {money(d.refunds_30d, cur)} · "
        f"**low stock** {d.low_stock_count} · **out of stock** {d.out_of_stock_count} · "
        f"**AOV (30 d)** {money(d.average_order_value_30d, cur)}"
    )
    return "\n".join(rows) + "\n\n" + stock + messages_line(data.messages)


def messages_line(m: MessageFigures | None) -> str:
    """The WhatsApp line of the strip: volumes, failures, tokens and reply time over 24 hours."""
    if m is None:
        return ""
    reply = "n/a"
    if m.reply_p50_ms is not None:
        reply = f"{m.reply_p50_ms / 1000:.1f} s (p95 {(m.reply_p95_ms or 0) / 1000:.1f} s)"
    return (
        f"\n\n**WhatsApp (24 h)** {m.inbound} in · {m.outbound} out · {m.read} read · "
        f"{m.failed + m.dead} failed · {m.pending} waiting · reply time {reply} · "
        f"{m.input_tokens + m.output_tokens} tokens"
    )


def _layout(figure: go.Figure, title: str, currency: str | None = None) -> go.Figure:
    figure.update_layout(title=title, margin={"l": 40, "r": 20, "t": 50, "b": 40}, height=340)
    if currency:
        figure.update_layout(yaxis_title=currency)
    return figure


def trend_figure(d: Dashboard) -> go.Figure:
    """Revenue (bars) and orders (line) per local day over the last 30 days."""
    days = [row.day.isoformat() for row in d.daily_orders]
    figure = go.Figure(
        [
            go.Bar(x=days, y=[float(row.revenue) for row in d.daily_orders], name=f"revenue ({d.currency})"),
            go.Scatter(x=days, y=[row.order_count for row in d.daily_orders], name="orders", yaxis="y2"),
        ]
    )
    figure.update_layout(yaxis2={"overlaying": "y", "side": "right", "title": "orders"})
    return _layout(figure, "Revenue and orders, last 30 days", d.currency)


def products_figure(d: Dashboard) -> go.Figure:
    """Top and bottom products by revenue, with their gross profit beside."""
    ranked = list({p.product_id: p for p in d.top_products_by_revenue + d.bottom_products_by_revenue}.values())
    ranked.sort(key=lambda p: p.revenue, reverse=True)
    names = [p.product_name for p in ranked]
    figure = go.Figure(
        [
            go.Bar(x=names, y=[float(p.revenue) for p in ranked], name="revenue"),
            go.Bar(x=names, y=[float(p.gross_profit) for p in ranked], name="gross profit"),
        ]
    )
    figure.update_layout(barmode="group")
    return _layout(figure, "Top and bottom products (30 days)", d.currency)


def margin_pct(product: ProductPerformance) -> float | None:
    """A product's gross margin in percent of its revenue (None without revenue)."""
    if product.revenue <= 0:
        return None
    return float(product.gross_profit * 100 / product.revenue)


def margin_histogram(products: list[ProductPerformance]) -> go.Figure:
    """How many products sell at which gross margin (30 days)."""
    margins = [m for m in (margin_pct(p) for p in products) if m is not None]
    figure = go.Figure([go.Histogram(x=margins, nbinsx=MARGIN_BINS, name="products")])
    figure.update_xaxes(title_text="gross margin %")
    figure.update_yaxes(title_text="products")
    return _layout(figure, "Margin histogram (30 days)")


def aging_figure(aging: list[AgingBucket], currency: str) -> go.Figure:
    """Stock on the shelf by age bucket, at cost, with the units as labels."""
    figure = go.Figure(
        [
            go.Bar(
                x=[bucket.label for bucket in aging],
                y=[float(bucket.value) for bucket in aging],
                text=[f"{bucket.quantity} units" for bucket in aging],
                name="value at cost",
            )
        ]
    )
    figure.update_xaxes(title_text="days since received")
    return _layout(figure, "Stock aging", currency)


def days_figure(rows: list[InventoryDays]) -> go.Figure:
    """Days each SKU's stock lasts at the recent pace (unsold SKUs left out)."""
    sold = [row for row in rows if row.days_of_inventory is not None]
    figure = go.Figure(
        [
            go.Bar(
                x=[float(row.days_of_inventory or 0) for row in sold],
                y=[row.sku for row in sold],
                orientation="h",
                name="days",
            )
        ]
    )
    figure.update_xaxes(title_text="days of inventory")
    return _layout(figure, "Days of inventory by SKU")


def figures(data: DashboardData) -> dict[str, go.Figure]:
    """Every chart of the view, by name."""
    d = data.dashboard
    return {
        "revenue trend": trend_figure(d),
        "top and bottom products": products_figure(d),
        "margin histogram": margin_histogram(data.products),
        "stock aging": aging_figure(data.aging, d.currency),
        "days of inventory": days_figure(data.inventory_days),
    }


def tables(data: DashboardData) -> dict[str, pd.DataFrame]:
    """The view's tables: products with their margin, and days of inventory per SKU."""
    cur = data.dashboard.currency
    products = pd.DataFrame(
        [
            {
                "product": p.product_name,
                "units sold": p.units_sold,
                f"revenue ({cur})": float(p.revenue),
                f"gross profit ({cur})": float(p.gross_profit),
                "margin %": None if margin_pct(p) is None else round(margin_pct(p) or 0, 1),
            }
            for p in data.products
        ],
        columns=["product", "units sold", f"revenue ({cur})", f"gross profit ({cur})", "margin %"],
    )
    days = pd.DataFrame(
        [
            {
                "sku": row.sku,
                "product": row.product_name,
                "on hand": row.on_hand,
                "sold (30 d)": row.units_sold_30d,
                "days of inventory": None if row.days_of_inventory is None else float(row.days_of_inventory),
            }
            for row in data.inventory_days
        ],
        columns=["sku", "product", "on hand", "sold (30 d)", "days of inventory"],
    )
    return {"product performance": products, "days of inventory remaining": days}


EMPTY_STATE = (
    "This shop has no stock and no sales yet, so there is nothing to chart. Record a stock receipt "
    "(e.g. *receive 20 MUG-WHT at 3.10* once the product exists) or create an order, and the dashboard fills in."
)
