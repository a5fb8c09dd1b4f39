"""Image embeddings for photo search: one small protocol, the offline visual descriptor, and an
optional OpenAI-compatible vision model that describes a photo in words for text search.

- `VisualDescriptor` (default, offline, no model weights): perceptual hashes plus colour and edge
  histograms, after trimming uniform borders. Good at finding the catalog picture again in a
  customer's screenshot, crop, resized or re-compressed copy; it knows nothing of meaning (a red
  dress and a red mug with the same layout look alike to it).
- `VisionDescriber` (optional): a chat model that can see (`gpt-4o-mini`, a vLLM/Ollama vision
  model) writes a few search words for the photo; those go through text search. Good for a photo of
  the real thing taken by the customer, which the descriptor cannot match.
- CLIP-like embedders are an extension point: implement `ImageEmbedder` with their dimension and
  add a migration for the vector column (open_clip does not import here and no weights can be fetched).
"""

from __future__ import annotations

import base64
from typing import Protocol

import httpx
import imagehash
import numpy as np
from PIL import Image

from infra.settings import Settings

HUE_BINS = 12
SATURATIONS = (64, 160)  # below 64 a pixel is grey; two chroma levels above
VALUE_BINS = 3
GREY_BINS = 4
HISTOGRAM_BINS = HUE_BINS * len(SATURATIONS) * VALUE_BINS + GREY_BINS
EDGE_BINS = 8
HASH_BITS = 64
DESCRIPTOR_DIM = 2 * HISTOGRAM_BINS + 2 * EDGE_BINS + 2 * HASH_BITS
"""Length of the visual descriptor (the `product_images.embedding` column's dimension)."""

WORKING_SIZE = 256
UNIFORM_TOLERANCE = 24
UNIFORM_SHARE = 0.97
MIN_SUBJECT_SHARE = 0.4
EDGE_THRESHOLD = 8.0
BLOCK_WEIGHTS = {"colour": 1.0, "centre_colour": 0.8, "edges": 0.6, "phash": 0.5, "dhash": 0.5}


class ImageEmbedder(Protocol):
    """Turns a decoded RGB picture into a fixed-length, L2-normalised vector."""

    name: str
    """Stored beside each vector: rows made by another embedder (or version) are stale."""
    dimensions: int

    def embed(self, image: Image.Image) -> list[float]:
        """The picture's vector (`dimensions` floats, unit length)."""
        ...


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _outer_run(pixels: np.ndarray) -> int:
    """How many leading rows of `pixels` (H×W×3) are (almost) all the first row's colour."""
    colour = np.median(pixels[0], axis=0)
    close = np.abs(pixels - colour).max(axis=2) <= UNIFORM_TOLERANCE
    rows = close.mean(axis=1) >= UNIFORM_SHARE
    stop = np.flatnonzero(~rows)
    return int(stop[0]) if stop.size else len(rows)


def trim_border(image: Image.Image, passes: int = 6) -> Image.Image:
    """Peel a screenshot's frame and bars, or a plain backdrop, off the picture: each pass takes off,
    on each side, the rows (then columns) of that side's outer colour, so a bar above a frame above a
    backdrop comes off in turns. Stops before a side would shrink below MIN_SUBJECT_SHARE of the picture's.
    """
    left, top, right, bottom = 0, 0, image.width, image.height
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    for _ in range(passes):
        box = pixels[top:bottom, left:right]
        cut_top, cut_bottom = _outer_run(box), _outer_run(box[::-1])
        columns = box.transpose(1, 0, 2)
        cut_left, cut_right = _outer_run(columns), _outer_run(columns[::-1])
        new = (left + cut_left, top + cut_top, right - cut_right, bottom - cut_bottom)
        too_deep = min((new[2] - new[0]) / image.width, (new[3] - new[1]) / image.height) < MIN_SUBJECT_SHARE
        if too_deep or new == (left, top, right, bottom):
            break
        left, top, right, bottom = new
    return image.crop((left, top, right, bottom))


def _centre(image: Image.Image, share: float = 0.5) -> Image.Image:
    width, height = image.size
    dx, dy = int(width * (1 - share) / 2), int(height * (1 - share) / 2)
    return image.crop((dx, dy, width - dx, height - dy))


def colour_histogram(image: Image.Image) -> np.ndarray:
    """Hue (soft-binned, circular) × saturation × value for coloured pixels, plus grey levels; square-rooted."""
    hsv = np.asarray(image.convert("HSV"), dtype=np.float64).reshape(-1, 3)
    hue, saturation, value = hsv[:, 0] * HUE_BINS / 256.0, hsv[:, 1], hsv[:, 2]
    histogram = np.zeros(HISTOGRAM_BINS)
    grey = saturation < SATURATIONS[0]
    grey_bin = np.minimum(value[grey] * GREY_BINS // 256, GREY_BINS - 1).astype(int)
    np.add.at(histogram, HUE_BINS * len(SATURATIONS) * VALUE_BINS + grey_bin, 1.0)
    coloured = ~grey
    low = np.floor(hue[coloured]).astype(int) % HUE_BINS
    share = hue[coloured] - np.floor(hue[coloured])
    chroma = np.searchsorted(SATURATIONS, saturation[coloured], side="right") - 1
    level = np.minimum(value[coloured] * VALUE_BINS // 256, VALUE_BINS - 1).astype(int)
    base = (chroma * VALUE_BINS + level) * HUE_BINS
    np.add.at(histogram, base + low, 1.0 - share)
    np.add.at(histogram, base + (low + 1) % HUE_BINS, share)
    return _unit(np.sqrt(histogram / max(len(hsv), 1)))


def edge_histogram(image: Image.Image) -> np.ndarray:
    """Gradient orientations (mod 180°) weighted by strength, plus nothing for flat pictures."""
    grey = np.asarray(image.convert("L").resize((128, 128)), dtype=np.float64)
    dy, dx = np.gradient(grey)
    strength = np.hypot(dx, dy)
    strong = strength > EDGE_THRESHOLD
    angle = (np.arctan2(dy[strong], dx[strong]) % np.pi) * EDGE_BINS / np.pi
    histogram = np.bincount(np.minimum(angle.astype(int), EDGE_BINS - 1), strength[strong], minlength=EDGE_BINS)
    return _unit(np.sqrt(histogram))


def _hash_bits(image_hash: imagehash.ImageHash) -> np.ndarray:
    return _unit(np.where(image_hash.hash.flatten(), 1.0, -1.0))


class VisualDescriptor:
    """The offline default: colour and edge histograms (whole picture and centre) with perceptual
    hashes, computed after trimming uniform borders, each block weighted, the whole L2-normalised."""

    name = "descriptor-v1"
    dimensions = DESCRIPTOR_DIM

    def embed(self, image: Image.Image) -> list[float]:
        """The descriptor of an RGB picture."""
        working = image.convert("RGB")
        working.thumbnail((WORKING_SIZE, WORKING_SIZE))
        subject = trim_border(working)
        centre = _centre(subject)
        blocks = {
            "colour": colour_histogram(subject),
            "centre_colour": colour_histogram(centre),
            "edges": np.concatenate([edge_histogram(subject), edge_histogram(centre)]) / np.sqrt(2),
            "phash": _hash_bits(imagehash.phash(subject)),
            "dhash": _hash_bits(imagehash.dhash(subject)),
        }
        vector = np.concatenate([BLOCK_WEIGHTS[name] * block for name, block in blocks.items()])
        return [float(x) for x in _unit(vector)]


def make_image_embedder(kind: str) -> ImageEmbedder:
    """The embedder the settings name (IMAGE_EMBEDDER)."""
    if kind == "descriptor":
        return VisualDescriptor()
    raise ValueError(f"unknown image embedder {kind!r}; use 'descriptor'")


DESCRIBE_PROMPT = (
    "You help a shop find a product from a customer's photo. Name the product in the photo in at most "
    "eight plain search words (kind of item, colour, material, pattern). Answer with the words only."
)


class ImageDescriber(Protocol):
    """Writes a few search words for a photo."""

    def describe(self, data: bytes, content_type: str) -> str:
        """Search words for the picture in `data`."""
        ...


class DescriberUnavailable(Exception):
    """The vision model could not be reached or answered nonsense; search goes on without it."""


class VisionDescriber:
    """An OpenAI-compatible chat model that can see, asked for a few search words about a photo."""

    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None = None,
        *,
        http_client: httpx.Client | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.model = model
        self.url = (base_url or "https://api.openai.com/v1").rstrip("/") + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.http = http_client or httpx.Client(timeout=timeout_s)

    def describe(self, data: bytes, content_type: str) -> str:
        """A few search words for the picture in `data` (JPEG, PNG or WebP bytes)."""
        picture = f"data:{content_type};base64,{base64.b64encode(data).decode()}"
        body = {
            "model": self.model,
            "max_tokens": 40,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": DESCRIBE_PROMPT},
                        {"type": "image_url", "image_url": {"url": picture}},
                    ],
                }
            ],
        }
        try:
            response = self.http.post(self.url, json=body, headers=self.headers)
            response.raise_for_status()
            words = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise DescriberUnavailable(f"the vision model did not describe the photo: {exc}") from exc
        if not isinstance(words, str) or not words.strip():
            raise DescriberUnavailable("the vision model gave an empty description")
        return words.strip()


def make_image_describer(settings: Settings) -> VisionDescriber | None:
    """The vision describer when VISION_MODEL and OPENAI_API_KEY are set, else None."""
    if not (settings.VISION_MODEL and settings.OPENAI_API_KEY):
        return None
    return VisionDescriber(settings.OPENAI_API_KEY.get_secret_value(), settings.VISION_MODEL, settings.OPENAI_BASE_URL)
