"""Customer tools (staff and owners; the domain refuses customers): find a customer by name,
phone or email (with their store credit), and list their orders and their returns. A name that fits several customers is
refused with the candidates, so nobody's records are shown by a guess."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from domain import customers, orders
from domain.context import Context
from domain.models import OrderStatus
from tools.runtime import ToolEnv, make_tool, money
from tools.sales import describe_order


class FindCustomersArgs(BaseModel):
    """Arguments of find_customers."""

    query: str = Field(min_length=1, max_length=200, description="A name, phone number or email")


class CustomerArgs(BaseModel):
    """A customer named by name, phone or email."""

    customer: str = Field(min_length=1, max_length=200, description="The customer's name, phone or email")


class CustomerOrdersArgs(CustomerArgs):
    """Arguments of get_customer_orders."""

    status: OrderStatus | None = Field(default=None, description="Only orders in this status")


def build_customer_tools(env: ToolEnv) -> list[BaseTool]:
    """The customers specialist's tools for this conversation."""

    def find_customers(query: str) -> dict[str, Any]:
        """Customers whose name, phone or email matches, with their lifetime orders, spend and store credit.

        Args:
            query: a name, phone number or email.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            found, total = customers.list_customers(session, ctx, customers.CustomerFilter(q=query), limit=10)
            rows = []
            for c in found:
                figures = customers.lifetime_figures(session, ctx, c.id)
                rows.append(
                    {
                        "name": c.name,
                        "phone": c.phone,
                        "email": c.email,
                        "orders": figures.order_count,
                        "net_sales": money(figures.net_sales),
                        "returns": figures.return_count,
                        "store_credit": money(c.store_credit_balance),
                    }
                )
            return {"count": total, "customers": rows}

        return env.run(work)

    def get_customer_orders(customer: str, status: OrderStatus | None = None) -> dict[str, Any]:
        """One customer's orders, newest first (optionally only one status).

        Args:
            customer: the customer's name, phone or email.
            status: only orders in this status.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            found = customers.find_one(session, ctx, customer)
            listed, total = orders.list_orders(
                session, ctx, orders.OrderFilter(status=status, customer_id=found.id), limit=10
            )
            return {"customer": found.name, "count": total, "orders": [describe_order(o) for o in listed]}

        return env.run(work)

    def get_customer_returns(customer: str) -> dict[str, Any]:
        """One customer's returns and exchanges, newest first, with their refunds.

        Args:
            customer: the customer's name, phone or email.
        """

        def work(session: Session, ctx: Context) -> dict[str, Any]:
            found = customers.find_one(session, ctx, customer)
            listed, total = customers.customer_returns(session, ctx, found.id, limit=10)
            return {
                "customer": found.name,
                "count": total,
                "returns": [
                    {
                        "kind": r.kind.value,
                        "date": f"{r.created_at:%Y-%m-%d}",
                        "units": sum(line.quantity for line in r.lines),
                        "refund": money(r.refund_amount),
                    }
                    for r in listed
                ],
            }

        return env.run(work)

    return [
        make_tool(find_customers, FindCustomersArgs),
        make_tool(get_customer_orders, CustomerOrdersArgs),
        make_tool(get_customer_returns, CustomerArgs),
    ]
