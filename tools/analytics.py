"""Owner analytics tools: profit and loss, the dashboard's KPIs, best and worst products."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.tools import BaseTool
from pydantic import BaseModel
from sqlalchemy.orm import Session

from domain import reports
from domain.context import Context
from tools.runtime import ToolEnv, make_tool, money

Period = Literal["today", "week", "month"]


class PeriodArgs(BaseModel):
    """Arguments of get_profit_and_loss."""

    period: Period = "month"


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


def build_analytics_tools(env: ToolEnv) -> list[BaseTool]:
    """The owner's analytics tools (the reports refuse anyone else)."""

    def get_profit_and_loss(period: Period = "month") -> dict[str, Any]:
        """Net sales, gross profit and margin, refunds and net profit for today, this week or this month.

        Args:
            period: "today", "week" (week to date) or "month" (month to date).
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            board = reports.dashboard(session, ctx)
            chosen = {"today": board.today, "week": board.week_to_date, "month": board.month_to_date}[period]
            return {"period": period, "currency": board.currency, **_pnl(chosen)}

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

    return [make_tool(get_profit_and_loss, PeriodArgs), make_tool(get_dashboard), make_tool(get_top_products)]
