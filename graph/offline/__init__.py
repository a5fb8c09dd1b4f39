"""The offline model: a deterministic chat model so the graph works with no LLM configured
(`model.py`), reading intents (`intents.py`) and arguments (`arguments.py`) from the words of a
request and answering from tool results (`replies.py`)."""

from graph.offline.arguments import percent_in, product_phrase, quantity_in
from graph.offline.intents import classify
from graph.offline.model import OfflineChatModel

__all__ = ["OfflineChatModel", "classify", "percent_in", "product_phrase", "quantity_in"]
