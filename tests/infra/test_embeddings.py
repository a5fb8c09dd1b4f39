"""The offline visual descriptor and the OpenAI-compatible vision describer (faked with respx)."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
import respx
from PIL import Image

from domain.pictures import product_picture
from infra.embeddings import (
    DESCRIPTOR_DIM,
    DescriberUnavailable,
    VisionDescriber,
    VisualDescriptor,
    make_image_describer,
    make_image_embedder,
    trim_border,
)
from infra.settings import Settings

BASE = "http://vision.test/v1"


def test_the_descriptor_is_a_unit_vector_of_fixed_length_and_deterministic() -> None:
    embedder = make_image_embedder("descriptor")
    first, again = embedder.embed(product_picture(3)), embedder.embed(product_picture(3))
    assert len(first) == DESCRIPTOR_DIM == embedder.dimensions
    assert np.linalg.norm(first) == pytest.approx(1.0)
    assert first == again
    other = embedder.embed(product_picture(4))
    assert float(np.dot(first, other)) < 0.95


def test_an_unknown_embedder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown image embedder"):
        make_image_embedder("clip")


def test_a_uniform_frame_and_bar_are_trimmed_off() -> None:
    picture = product_picture(6, size=100)
    framed = Image.new("RGB", (140, 140), (240, 240, 240))
    framed.paste(picture, (20, 20))
    framed.paste((20, 20, 20), (0, 0, 140, 8))
    assert trim_border(framed).size == trim_border(picture).size


def test_a_blank_picture_still_has_a_descriptor() -> None:
    vector = VisualDescriptor().embed(Image.new("RGB", (64, 64), (255, 255, 255)))
    assert len(vector) == DESCRIPTOR_DIM
    assert np.isfinite(vector).all()


def test_the_vision_describer_sends_the_photo_and_returns_its_words() -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(f"{BASE}/chat/completions").respond(
            json={"choices": [{"message": {"role": "assistant", "content": " red enamel mug \n"}}]}
        )
        words = VisionDescriber("sk-test", "vision-small", BASE).describe(b"\x89PNG...", "image/png")
    assert words == "red enamel mug"
    sent = json.loads(route.calls.last.request.content)
    assert route.calls.last.request.headers["Authorization"] == "Bearer sk-test"
    assert sent["model"] == "vision-small"
    assert sent["messages"][0]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(500), httpx.Response(200, json={"choices": []}), httpx.Response(200, text="not json")],
    ids=["server error", "no choices", "not json"],
)
def test_a_failing_vision_model_is_reported_as_unavailable(answer: httpx.Response) -> None:
    with respx.mock() as mock:
        mock.post(f"{BASE}/chat/completions").mock(return_value=answer)
        with pytest.raises(DescriberUnavailable):
            VisionDescriber("sk-test", "vision-small", BASE).describe(b"x", "image/png")


def test_the_describer_is_made_only_with_a_model_and_a_key() -> None:
    assert make_image_describer(Settings(_env_file=None)) is None
    assert make_image_describer(Settings(_env_file=None, VISION_MODEL="gpt-4o-mini")) is None
    made = make_image_describer(Settings(_env_file=None, VISION_MODEL="gpt-4o-mini", OPENAI_API_KEY="sk-x"))
    assert isinstance(made, VisionDescriber)
    assert made.url == "https://api.openai.com/v1/chat/completions"
