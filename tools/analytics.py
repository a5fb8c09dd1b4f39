"""Owner analytics tools: profit and loss for any period and two periods compared, sales broken
down by product, category, channel, payment method or staff member, product margins, the
dashboard's KPIs, best and worst products. The reports refuse anyone but the owner."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import product_figures, reports, tenancy
from domain.context import Context
from domain.reports import Breakdown
from tools.periods import PeriodSpec
from tools.runtime import ToolEnv, make_tool, money


class CompareArgs(BaseModel):
    """Arguments of compare_profit_and_loss."""

    current: PeriodSpec = Field(description="The period asked about, e.g. this_month")
    previous: PeriodSpec = Field(description="The period to compare it with, e.g. last_month")


class BreakdownArgs(PeriodSpec):
    """Arguments of get_sales_breakdown."""

    by: Breakdown = Field(description="Group sales by product, category, channel, payment_method or staff")


class ProductArgs(BaseModel):
    """A product named by words or a SKU."""

    product: str = Field(min_length=1, max_length=200, description="Product words or a SKU, e.g. 'linen shirt'")


def _pnl(pnl: reports.ProfitAndLoss) -> dict[str, Any]:
    return {
        "net_sales": money(pnl.net_sales),
        "gross_profit": money(pnl.gross_profit),
        "gross_margin_pct": str(pnl.gross_margin_pct),
        "refunds": money(pnl.refunds),
        "net_profit": money(pnl.net_profit),
        "orders": pnl.order_count,
    }


def _products(rows: list[reports.ProductPerformance]) -> list[dict[str, Any]]:
    return [
        {"product": r.product_name, "units": r.units_sold, "revenue": money(r.revenue), "profit": money(r.gross_profit)}
        for r in rows
    ]


def _currency(session: Session, ctx: Context) -> str:
    return tenancy.business_info(session, ctx).currency


def build_analytics_tools(env: ToolEnv) -> list[BaseTool]:
    """The owner's analytics tools (the reports refuse anyone else)."""

    def period_pnl(session: Session, ctx: Context, spec: PeriodSpec) -> dict[str, Any]:
        period = spec.resolve(session, ctx)
        pnl = reports.profit_and_loss(session, ctx, period.start, period.end)
        return {"period": period.label, "currency": _currency(session, ctx), **_pnl(pnl)}

    def get_profit_and_loss(**period: Any) -> dict[str, Any]:
        """Net sales, gross profit and margin, refunds, net profit and order count for one period:
        today, yesterday, this or last week, this or last month, the last 30 days, a named month
        or a date range (the shop's own days)."""
        return env.run(lambda s, c: period_pnl(s, c, PeriodSpec(**period)))

    def compare_profit_and_loss(current: PeriodSpec, previous: PeriodSpec) -> dict[str, Any]:
        """Two periods' profit and loss side by side, with the change in net sales and net profit
        (e.g. this month against last month).

        Args:
            current: the period asked about.
            previous: the period to compare it with.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            now, before = period_pnl(session, ctx, current), period_pnl(session, ctx, previous)
            change = {
                key: money(Decimal(now[key]) - Decimal(before[key]))
                for key in ("net_sales", "gross_profit", "net_profit")
            }
            return {"current": now, "previous": before, "change": change | {"orders": now["orders"] - before["orders"]}}

        return env.run(work)

    def get_sales_breakdown(by: Breakdown, **period: Any) -> dict[str, Any]:
        """Sales in a period grouped by product, category, channel, payment method or staff member:
        orders, units and revenue (after discounts and returns) per group, highest first."""

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            resolved = PeriodSpec(**period).resolve(session, ctx)
            groups = reports.sales_breakdown(session, ctx, resolved.start, resolved.end, by)
            return {
                "period": resolved.label,
                "by": Breakdown(by).value,
                "currency": _currency(session, ctx),
                "groups": [
                    {"name": g.key, "orders": g.orders, "units": g.units, "revenue": money(g.revenue)} for g in groups
                ],
            }

        return env.run(work)

    def get_product_margin(product: str) -> dict[str, Any]:
        """Price, average cost and margin of every size/colour of one product.

        Args:
            product: product words or a SKU.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            found, rows = product_figures.product_margins(session, ctx, product)
            return {
                "product": found.name,
                "variants": [
                    {
                        "sku": r.sku,
                        "options": r.options,
                        "price": money(r.price),
                        "avg_cost": money(r.avg_cost),
                        "margin": money(r.margin),
                        "margin_pct": str(r.margin_pct),
                    }
                    for r in rows
                ],
            }

        return env.run(work)

    def get_dashboard() -> dict[str, Any]:
        """The shop's key numbers: month-to-date sales and profit, inventory value, stock alerts,
        sell-through, days of inventory left and average order value."""

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            board = reports.dashboard(session, ctx)
            return {
                "currency": board.currency,
                "month": _pnl(board.month_to_date),
                "inventory_value": money(board.inventory_value),
                "low_stock": board.low_stock_count,
                "out_of_stock": board.out_of_stock_count,
                "sell_through_pct": str(board.sell_through_pct),
                "days_of_inventory": str(board.days_of_inventory) if board.days_of_inventory is not None else None,
                "average_order_value_30d": money(board.average_order_value_30d),
            }

        return env.run(work)

    def get_top_products() -> dict[str, Any]:
        """The five best and five worst products of the last 30 days, by revenue and by profit."""

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            board = reports.dashboard(session, ctx)
            return {
                "top_by_revenue": _products(board.top_products_by_revenue),
                "bottom_by_revenue": _products(board.bottom_products_by_revenue),
                "top_by_profit": _products(board.top_products_by_profit),
            }

        return env.run(work)

    return [
        make_tool(get_profit_and_loss, PeriodSpec),
        make_tool(compare_profit_and_loss, CompareArgs),
        make_tool(get_sales_breakdown, BreakdownArgs),
        make_tool(get_product_margin, ProductArgs),
        make_tool(get_dashboard),
        make_tool(get_top_products),
    ]
