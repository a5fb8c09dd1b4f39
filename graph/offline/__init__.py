"""The offline model: a deterministic chat model so the graph works with no LLM configured
(`model.py`), reading intents (`intents.py`), arguments (`arguments.py`), periods (`periods.py`)
and what an order asks for (`basket.py`) from the words of a request, and answering from tool
results (`replies.py`)."""

from graph.offline.arguments import percent_in, product_phrase, quantity_in
from graph.offline.basket import choose, revise, wants_in
from graph.offline.intents import classify, help_for, normalize
from graph.offline.model import OfflineChatModel
from graph.offline.periods import period_in, two_periods_in

__all__ = [
    "OfflineChatModel",
    "choose",
    "classify",
    "help_for",
    "normalize",
    "percent_in",
    "period_in",
    "product_phrase",
    "quantity_in",
    "revise",
    "two_periods_in",
    "wants_in",
]
