"""Deterministic product pictures drawn with Pillow: flat shapes, patterns and colours, distinct per
index. The demo shop ships them so photo search works out of the box; tests use them as a catalog."""

from __future__ import annotations

import colorsys
import io
import random

from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle", "diamond", "stripes", "checks", "ring", "cross")
GOLDEN = 0.618034
RGB = tuple[int, int, int]


def _colour(hue: float, saturation: float, value: float) -> RGB:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, size: int, ink: RGB, rng: random.Random) -> None:
    margin, half = size // 5, size // 2
    box = (margin, margin, size - margin, size - margin)
    if shape == "circle":
        draw.ellipse(box, fill=ink)
    elif shape == "square":
        draw.rectangle(box, fill=ink)
    elif shape == "triangle":
        draw.polygon([(half, margin), (size - margin, size - margin), (margin, size - margin)], fill=ink)
    elif shape == "diamond":
        draw.polygon([(half, margin), (size - margin, half), (half, size - margin), (margin, half)], fill=ink)
    elif shape == "stripes":
        width = size // rng.choice((24, 16, 11))
        for x in range(0, size, 2 * width):
            draw.rectangle((x, 0, x + width, size), fill=ink)
    elif shape == "checks":
        width = size // rng.choice((13, 8))
        for x in range(0, size, width):
            for y in range(0, size, width):
                if (x // width + y // width) % 2:
                    draw.rectangle((x, y, x + width, y + width), fill=ink)
    elif shape == "ring":
        draw.ellipse(box, outline=ink, width=size // 12)
    else:
        bar = margin // 2
        draw.rectangle((half - bar, margin, half + bar, size - margin), fill=ink)
        draw.rectangle((margin, half - bar, size - margin, half + bar), fill=ink)


def product_picture(index: int, size: int = 320) -> Image.Image:
    """Picture number `index`: a shape or pattern in one colour on a pale backdrop, with a centre dot."""
    rng = random.Random(index)
    hue = (index * GOLDEN) % 1.0
    backdrop = _colour(hue + 0.5, rng.uniform(0.05, 0.35), rng.uniform(0.85, 1.0))
    ink = _colour(hue, rng.uniform(0.6, 1.0), rng.uniform(0.45, 0.95))
    accent = _colour(hue + rng.uniform(0.2, 0.4), rng.uniform(0.5, 1.0), rng.uniform(0.3, 0.9))
    image = Image.new("RGB", (size, size), backdrop)
    draw = ImageDraw.Draw(image)
    _draw_shape(draw, SHAPES[index % len(SHAPES)], size, ink, rng)
    radius, centre = rng.randint(size // 16, size // 8), size // 2
    draw.ellipse((centre - radius, centre - radius, centre + radius, centre + radius), fill=accent)
    return image


def encode(image: Image.Image, image_format: str = "PNG", **options: object) -> bytes:
    """The picture as file bytes (PNG unless told)."""
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()
