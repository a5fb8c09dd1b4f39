"""What the offline model reads from ordinary requests, as tables of phrasings (each row can
become an eval scenario): intents, periods, products with sizes and colours, changes before the
yes, and which variant to take or ask about. Pure: no database, no graph."""

from __future__ import annotations

from datetime import date

import pytest

from graph.offline import choose, classify, normalize, period_in, revise, two_periods_in, wants_in
from graph.offline.basket import Want
from graph.offline.periods import earlier

TODAY = date(2026, 11, 30)

INTENTS = [
    # P&L for any period, comparisons, breakdowns, margins (owners)
    ("how much profit did we make yesterday?", "analytics"),
    ("what was our p&l last month", "analytics"),
    ("revenue this week so far", "analytics"),
    ("profit in October", "analytics"),
    ("how did we do between 1 and 15 October", "analytics"),
    ("compare this month with last month", "analytics"),
    ("this week vs last week", "analytics"),
    ("sales by category this week", "analytics"),
    ("revenue by payment method last month", "analytics"),
    ("who sold the most this week", "analytics"),
    ("what is my margin on the linen shirt", "analytics"),
    # order lists and counts
    ("my orders", "list_orders"),
    ("show me my orders please", "list_orders"),
    ("how many orders today?", "list_orders"),
    ("pending orders", "list_orders"),
    ("list cancelled orders last week", "list_orders"),
    ("orders from yesterday", "list_orders"),
    # customers (staff, owners)
    ("find customer Alice", "customers"),
    ("Alice's orders", "customers"),
    ("show the returns of customer Bob", "customers"),
    ("orders of customer +2348011111111", "customers"),
    # stock of every size/colour; stock found or lost
    ("how many linen shirts do we have in stock", "stock"),
    ("linen shirt stock in every size", "stock"),
    ("we found 3 extra linen shirts in M", "stock_change"),
    ("2 mugs broke", "stock_change"),
    ("one tote bag was stolen", "stock_change"),
    ("lost two CCTS00-M", "stock_change"),
    # ordering: several products, for a named customer
    ("I want 2 linen shirts in M and a tote bag", "order"),
    ("I'd like three mugs and two tote bags", "order"),
    ("place an order for customer Alice: 2 mugs", "order"),
    ("order 2 linen shirts for customer Alice Smith", "order"),
    # return requests (a customer on WhatsApp)
    ("I want to send back the shirt from order 1042", "request_return"),
    ("open a return request for order 1042", "request_return"),
    # one-letter typos of the words that matter
    ("proft yesterday", "analytics"),
    ("how many ordrs today", "list_orders"),
    ("cancle order 1042", "cancel_order"),
    ("dashbaord", "analytics"),
    ("how much money did we make in october", "analytics"),
    ("how much do we make on the straw hat", "analytics"),
    ("markup on the vanilla candle?", "analytics"),
    ("show me the proft for last mnth", "analytics"),
    # orders said without an order verb, for a walk-in, an order number by its hash
    ("2 mugs please", "order"),
    ("can I get 2 white mugs, a straw hat and a leather belt", "order"),
    ("order 3 medium tshirts for a walk-in customer", "order"),
    ("sell 1 canvas tote", "order"),
    ("please sell two mugs for customer Alice", "order"),
    ("sell me a straw hat", "order"),
    ("do you sell canvas totes?", "product"),
    ("what do we sell", "product"),
    ("any update on #1005", "order_status"),
    # unchanged behaviour
    ("hi", "greeting"),
    ("where is order 1042?", "order_status"),
    ("can I get 10% off 2 tote bags?", "discount"),
]


@pytest.mark.parametrize(("text", "intent"), INTENTS)
def test_the_intent_is_read_from_ordinary_words(text: str, intent: str) -> None:
    found = classify(text)
    assert found is not None
    assert found.name == intent


PERIODS = [
    ("how much profit did we make yesterday?", {"period": "yesterday"}),
    ("profit last week", {"period": "last_week"}),
    ("what was our p&l last month", {"period": "last_month"}),
    ("revenue this week so far", {"period": "this_week"}),
    ("sales today", {"period": "today"}),
    ("profit this month", {"period": "this_month"}),
    ("profit for the last 30 days", {"period": "last_30_days"}),
    ("profit in October", {"period": "named_month", "month": 10}),
    ("how did we do in march 2026", {"period": "named_month", "month": 3, "year": 2026}),
    ("profit between 1 and 15 October", {"period": "range", "start_date": "2026-10-01", "end_date": "2026-10-15"}),
    (
        "revenue from 2026-10-01 to 2026-10-15",
        {"period": "range", "start_date": "2026-10-01", "end_date": "2026-10-15"},
    ),
    ("sales between 3 Nov and 10 Nov", {"period": "range", "start_date": "2026-11-03", "end_date": "2026-11-10"}),
    ("what did we earn on 5 November", {"period": "range", "start_date": "2026-11-05", "end_date": "2026-11-05"}),
    ("proft yesterdy", {"period": "yesterday"}),
    ("sales in Decmber", {"period": "named_month", "month": 12}),
    ("may I see the profit", None),
    ("show me the proft for last mnth", {"period": "last_month"}),
]


@pytest.mark.parametrize(("text", "expected"), PERIODS)
def test_period_words_become_period_arguments(text: str, expected: dict | None) -> None:
    assert period_in(normalize(text), TODAY) == expected


COMPARISONS = [
    ("compare this month with last month", ({"period": "this_month"}, {"period": "last_month"})),
    ("this week vs last week", ({"period": "this_week"}, {"period": "last_week"})),
    ("October versus September", ({"period": "named_month", "month": 10}, {"period": "named_month", "month": 9})),
    ("how does today compare to yesterday", ({"period": "today"}, {"period": "yesterday"})),
]


@pytest.mark.parametrize(("text", "expected"), COMPARISONS)
def test_two_periods_are_read_in_the_order_said(text: str, expected: tuple) -> None:
    assert two_periods_in(normalize(text), TODAY) == expected


EARLIER = [  # "and the one before that?", from Monday 30 November 2026
    ({"period": "today"}, {"period": "yesterday"}),
    ({"period": "yesterday"}, {"period": "range", "start_date": "2026-11-28", "end_date": "2026-11-28"}),
    ({"period": "this_week"}, {"period": "last_week"}),
    ({"period": "last_week"}, {"period": "range", "start_date": "2026-11-16", "end_date": "2026-11-22"}),
    ({"period": "this_month"}, {"period": "last_month"}),
    ({"period": "last_month"}, {"period": "named_month", "month": 9, "year": 2026}),
    ({"period": "named_month", "month": 1}, {"period": "named_month", "month": 12, "year": 2025}),
    (
        {"period": "range", "start_date": "2026-10-11", "end_date": "2026-10-20"},
        {"period": "range", "start_date": "2026-10-01", "end_date": "2026-10-10"},
    ),
]


@pytest.mark.parametrize(("spec", "expected"), EARLIER)
def test_the_period_before_is_as_long_and_ends_where_it_starts(spec: dict, expected: dict) -> None:
    assert earlier(spec, TODAY) == expected


def test_the_blue_one_is_a_choice_not_a_quantity() -> None:
    assert normalize("the blue one") == "the blue "
    assert normalize("one of the candles broke").startswith("1 of")


BASKETS = [
    ("I want 2 linen shirts in M and a tote bag", [(2, "linen shirt M", ()), (1, "tote bag", ())]),
    (
        "three mugs, two tote bags and one linen shirt size L",
        [(3, "mug", ()), (2, "tote bag", ()), (1, "linen shirt", ("L",))],
    ),
    ("can I get a dozen mugs", [(12, "mug", ())]),
    ("I'd like a blue linen shirt, deliver to 5 Admiralty Way", [(1, "blue linen shirt", ())]),
    ("order 2 linen shirts for customer Alice Smith", [(2, "linen shirt", ())]),
    ("buy 4 hoodies at 15% off", [(4, "hoodie", ())]),
    ("I want canvas sneakers size 42 and 2 tote bags", [(1, "canva sneaker", ("42",)), (2, "tote bag", ())]),
]


@pytest.mark.parametrize(("text", "expected"), BASKETS)
def test_several_products_are_read_with_quantities_sizes_and_colours(text: str, expected: list) -> None:
    assert [(w.quantity, w.words, w.options) for w in wants_in(normalize(text))] == expected


SHIRTS = [Want(2, "linen shirt M")]
REVISIONS = [
    ("make it 3", [(3, "linen shirt M", ())]),
    ("three instead", [(3, "linen shirt M", ())]),
    ("actually in L", [(2, "linen shirt M", ("L",))]),
    ("blue instead please", [(2, "linen shirt M", ("blue",))]),
    ("add a tote bag", [(2, "linen shirt M", ()), (1, "tote bag", ())]),
    ("one more linen shirt", [(3, "linen shirt M", ())]),
    ("the canvas tote instead", [(1, "canva tote", ())]),  # "canva": search matches prefixes
]


@pytest.mark.parametrize(("answer", "expected"), REVISIONS)
def test_an_answer_before_the_yes_changes_the_order(answer: str, expected: list) -> None:
    revised = revise(SHIRTS, normalize(answer))
    assert revised is not None
    assert [(w.quantity, w.words, w.options) for w in revised] == expected


@pytest.mark.parametrize("answer", ["no", "No thanks", "cancel", "never mind"])
def test_a_no_drops_the_order(answer: str) -> None:
    assert revise(SHIRTS, normalize(answer)) is None


def _match(sku: str, size: str, colour: str, stock: int = 5) -> dict:
    return {"sku": sku, "product": "Linen Shirt", "options": {"size": size, "colour": colour}, "in_stock": stock}


LINEN = [_match("LINEN-M-WHT", "M", "White"), _match("LINEN-L-WHT", "L", "White"), _match("LINEN-M-BLU", "M", "Blue")]
CHOICES = [
    (Want(1, "linen shirt L"), "LINEN-L-WHT"),
    (Want(1, "blue linen shirt"), "LINEN-M-BLU"),
    (Want(1, "linen shirt large"), "LINEN-L-WHT"),
    (Want(1, "white linen shirt M"), "LINEN-M-WHT"),
    (Want(1, "linen shirt M", ("blue",)), "LINEN-M-BLU"),
    (Want(1, "linen shirt M", ("L",)), "LINEN-L-WHT"),
]


@pytest.mark.parametrize(("want", "sku"), CHOICES)
def test_the_variant_said_is_taken(want: Want, sku: str) -> None:
    assert choose(want, LINEN).sku == sku


@pytest.mark.parametrize("want", [Want(1, "linen shirt"), Want(1, "linen shirt M"), Want(1, "white linen shirt")])
def test_an_ambiguous_variant_is_asked_about_never_picked(want: Want) -> None:
    choice = choose(want, LINEN)
    assert choice.sku is None
    assert choice.question is not None
    assert choice.question.startswith("Which Linen Shirt")
    assert choice.question.endswith("?")


def test_a_size_the_product_lacks_is_said_plainly() -> None:
    choice = choose(Want(1, "linen shirt XL", ("XL",)), LINEN)
    assert choice.sku is None
    assert "does not come in XL" in str(choice.question)
