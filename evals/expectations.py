"""A scenario's own expectations against the run: replies, tool calls, the database afterwards.
Each returns the failures it finds, as sentences (empty = met)."""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal

from evals.scenario import OrderExpect, Scenario
from evals.world import OrderRow, Transcript, World


def check_replies(scenario: Scenario, transcript: Transcript) -> list[str]:
    expect = scenario.expect.replies
    every = "\n".join(transcript.replies).lower()
    last = transcript.replies[-1].lower() if transcript.replies else ""
    failures = [f"no reply contains {text!r}" for text in expect.contain if text.lower() not in every]
    if expect.contain_any and not any(text.lower() in every for text in expect.contain_any):
        failures.append(f"no reply contains any of {expect.contain_any}")
    failures += [f"a reply contains {text!r}" for text in expect.not_contain if text.lower() in every]
    failures += [f"the last reply lacks {text!r}" for text in expect.last_contains if text.lower() not in last]
    return failures


def check_tools(scenario: Scenario, transcript: Transcript) -> list[str]:
    called = set(transcript.tools)
    expect = scenario.expect.tools
    failures = [f"tool {name} was not called" for name in expect.required if name not in called]
    failures += [f"forbidden tool {name} was called" for name in expect.forbidden if name in called]
    return failures


def _order_failures(label: str, want: OrderExpect, got: OrderRow, customers: dict[str, uuid.UUID]) -> list[str]:
    failures = []
    if want.status is not None and got.status != want.status.value:
        failures.append(f"{label}: status {got.status}, expected {want.status.value}")
    if want.discount_pct is not None and got.discount_pct != Decimal(want.discount_pct):
        failures.append(f"{label}: discount {got.discount_pct} %, expected {want.discount_pct} %")
    if want.lines is not None and got.line_map() != want.lines:
        failures.append(f"{label}: lines {got.line_map()}, expected {want.lines}")
    if want.customer is not None and got.customer_id != customers.get(want.customer):
        failures.append(f"{label}: not {want.customer}'s order")
    if want.address_contains is not None and want.address_contains.lower() not in got.address.lower():
        failures.append(f"{label}: address {got.address!r} lacks {want.address_contains!r}")
    return failures


def _matches(want: OrderExpect, got: OrderRow, customers: dict[str, uuid.UUID]) -> bool:
    return not _order_failures("", want, got, customers)


def check_state(
    scenario: Scenario, shop: str, before: World, after: World, customers: dict[str, uuid.UUID]
) -> list[str]:
    expect = scenario.expect.state
    failures: list[str] = []
    mine = {o.number: o for o in after.orders.values() if o.client_id == shop}
    new = [o for o_id, o in after.orders.items() if o.client_id == shop and o_id not in before.orders]
    if expect.new_orders is not None:
        unmatched = list(new)
        for want in expect.new_orders:
            hit = next((o for o in unmatched if _matches(want, o, customers)), None)
            if hit is None:
                failures.append(f"no new order like {want.model_dump(exclude_none=True, mode='json')}")
            else:
                unmatched.remove(hit)
        failures += [f"unexpected new order #{o.number} {o.line_map()}" for o in unmatched]
    for number, want in expect.orders.items():
        got = mine.get(number)
        failures += (
            [f"order #{number} does not exist"]
            if got is None
            else _order_failures(f"order #{number}", want, got, customers)
        )
    for sku, quantity in expect.stock.items():
        on_hand = after.on_hand.get((shop, sku))
        if on_hand != quantity:
            failures.append(f"{sku} on hand {on_hand}, expected {quantity}")
    if expect.returns is not None:
        made = [r for r_id, r in after.returns.items() if r.client_id == shop and r_id not in before.returns]
        for want in expect.returns:
            hit = next(
                (
                    r
                    for r in made
                    if r.order_number == want.order
                    and (want.kind is None or r.kind == want.kind.value)
                    and (want.lines is None or dict(r.lines) == want.lines)
                ),
                None,
            )
            if hit is None:
                failures.append(f"no new return like {want.model_dump(exclude_none=True, mode='json')}")
            else:
                made.remove(hit)
        failures += [f"unexpected return on order #{r.order_number} {dict(r.lines)}" for r in made]
    if expect.approvals is not None:
        made_approvals = [
            a for a_id, a in after.approvals.items() if a.client_id == shop and a_id not in before.approvals
        ]
        wanted = Counter(
            (w.kind.value if w.kind else None, w.status.value if w.status else None) for w in expect.approvals
        )
        for want_key, count in wanted.items():
            kind, status = want_key
            hits = [
                a for a in made_approvals if (kind is None or a.kind == kind) and (status is None or a.status == status)
            ]
            if len(hits) < count:
                failures.append(f"expected {count} approval(s) kind={kind} status={status}, found {len(hits)}")
            for hit in hits[:count]:
                made_approvals.remove(hit)
        failures += [f"unexpected approval {a.kind} ({a.status})" for a in made_approvals]
    return failures
