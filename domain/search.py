"""Product search: one text search for the REST listing and the sales agent, and photo search.

Text: PostgreSQL full text over a weighted document (name A, SKU A, category B, option names and
values B, description C), each as written ('simple') and English-stemmed, so "shirts" finds
"shirt" and "кружка" still matches as typed. Every word matches as a prefix ("oxf", "blu shi"), as
a fragment of a SKU ("LSS01", "0-M"), or the whole text as a SKU prefix; "-word" excludes, and
quoted phrases and "or" work as in a web search. When nothing matches, each unknown word is
corrected to the nearest word of this shop's own catalog (one edit, two for long words, a
swapped pair of letters counting as one) and the search runs again: the embedded PostgreSQL has no
pg_trgm, and a shop's vocabulary is small. With a sentence embedder configured (TEXT_EMBEDDER,
the `semantic` extra), products whose text *means* what was typed ("something warm for winter" →
"Wool overcoat") are merged in by reciprocal-rank fusion (`domain/semantic.py`).

Photos: `search_by_image` embeds the photo and asks the HNSW index for the nearest pictures of this
client only. A filtered HNSW scan stops after `hnsw.ef_search` candidates, so with many tenants in
one index a small shop would get few or no results: `hnsw.iterative_scan = relaxed_order` (set
locally in the transaction) keeps scanning until enough rows pass the tenant filter. With a vision
model configured, its words for the photo also go through text search, and the two rankings are
merged by reciprocal-rank fusion.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import ColumnElement, Float, Select, and_, case, cast, func, literal, not_, or_, select, union
from sqlalchemy.dialects.postgresql import JSONB, REGCONFIG, aggregate_order_by
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from domain import catalog, images, semantic
from domain.context import Context, scoped
from domain.errors import ValidationFailed
from domain.models import Product, ProductImage, Variant
from infra.embeddings import DescriberUnavailable, ImageDescriber, ImageEmbedder
from infra.text_embeddings import TextEmbedder

MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 10
MAX_VARIANT_MATCHES = 50
FUSION_CANDIDATES = 100
MIN_SKU_FRAGMENT = 3
MIN_CORRECTED_WORD = 3
LONG_WORD = 8
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class ParsedQuery:
    """What a person typed, made safe: the whole text, its words, and the words after a '-'."""

    text: str
    words: tuple[str, ...]
    excluded: tuple[str, ...] = ()

    def with_words(self, corrections: dict[str, str]) -> ParsedQuery:
        """The same query with some words replaced."""
        return ParsedQuery(self.text, tuple(corrections.get(w, w) for w in self.words), self.excluded)


def parse_query(text: str) -> ParsedQuery:
    """Split search text into lower-case words (letters and digits of any script); NULs dropped, size bounded.

    No user input reaches tsquery syntax: words are alphanumeric runs, quoted as lexemes later.
    """
    cleaned = text.replace("\x00", " ").strip()[:MAX_SEARCH_CHARS]
    words: list[str] = []
    excluded: list[str] = []
    for token in cleaned.split():
        found = _WORD.findall(token.lower())
        (excluded if token.startswith("-") else words).extend(found)
    return ParsedQuery(cleaned, tuple(words[:MAX_SEARCH_WORDS]), tuple(excluded[:MAX_SEARCH_WORDS]))


def correct_words(words: Iterable[str], vocabulary: Sequence[str]) -> dict[str, str]:
    """The nearest vocabulary word for each word that neither is nor begins one (pure, no I/O).

    At most one edit (two for words of LONG_WORD letters or more; swapping two neighbours is one
    edit), from the word or its plural in -s ("shrits" → "shirt"); words shorter than
    MIN_CORRECTED_WORD and numbers are left alone, and nothing is corrected to so short a word.
    """
    targets = [word for word in vocabulary if len(word) >= MIN_CORRECTED_WORD]  # "pls" is no typo of size "l"
    forms = {word: word for word in targets} | {f"{word}s": word for word in targets if not word.endswith("s")}
    corrections: dict[str, str] = {}
    for word in words:
        if len(word) < MIN_CORRECTED_WORD or word.isdigit() or any(v.startswith(word) for v in vocabulary):
            continue
        edits = 2 if len(word) >= LONG_WORD else 1
        best = process.extractOne(word, list(forms), scorer=OSA.distance, score_cutoff=edits)
        if best is not None:
            corrections[word] = forms[best[0]]
    return corrections


def _word_query(word: str) -> ColumnElement[Any]:
    """The word as a prefix in both configurations (one letter: whole word only, or "M" would match anything)."""
    lexeme = f"'{word}'{':*' if len(word) > 1 else ''}"
    return func.to_tsquery("simple", lexeme).op("||")(func.to_tsquery("english", lexeme))


def _matches(query: ParsedQuery) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    """(does a variant match, its score): an exact SKU, then a SKU prefix, then full-text rank."""
    document = Product.search_vector.op("||")(Variant.search_vector)
    sku = func.lower(Variant.sku)
    exact_sku = sku == query.text.lower()
    sku_prefix = Variant.sku.istartswith(query.text, autoescape=True)
    word_queries = {w: _word_query(w) for w in query.words}
    every_word = [
        or_(document.bool_op("@@")(word_queries[w]), *([sku.contains(w)] if len(w) >= MIN_SKU_FRAGMENT else []))
        for w in query.words
    ]
    exclusions = [not_(document.bool_op("@@")(_word_query(w))) for w in query.excluded]
    web_query = func.websearch_to_tsquery("simple", query.text)
    alternatives = [sku_prefix, document.bool_op("@@")(web_query)]
    if every_word:
        alternatives.append(and_(*every_word))
    any_word = web_query
    for word_query in word_queries.values():
        any_word = any_word.op("||")(word_query)
    score = (
        cast(func.ts_rank(document, any_word), Float)
        + case((exact_sku, 2.0), else_=0.0)
        + case((sku_prefix, 1.0), else_=0.0)
    )
    return and_(or_(*alternatives), *exclusions), score


@dataclass
class ProductHit:
    """A product that matched, its score, and its matching variants, best first."""

    product: Product
    score: float
    variants: list[Variant] = field(default_factory=list)


@dataclass
class SearchPage:
    """A page of hits, how many products match in all, and the words that were corrected."""

    hits: list[ProductHit]
    total: int
    corrections: dict[str, str] = field(default_factory=dict)

    @property
    def products(self) -> list[Product]:
        return [hit.product for hit in self.hits]


def _vocabulary(session: Session, ctx: Context) -> list[str]:
    """Every word of this client's active products and option values, as written."""
    product_words = select(
        func.unnest(
            func.tsvector_to_array(
                func.to_tsvector("simple", func.concat_ws(" ", Product.name, Product.category, Product.description))
            )
        ).label("word")
    ).where(Product.client_id == ctx.client_id, Product.is_active.is_(True))
    option_words = select(
        func.unnest(
            func.tsvector_to_array(
                func.jsonb_to_tsvector(cast("simple", REGCONFIG), Variant.options, literal(["string", "key"], JSONB))
            )
        ).label("word")
    ).where(Variant.client_id == ctx.client_id, Variant.is_active.is_(True))
    return sorted(scoped(session, ctx).scalars(union(product_words, option_words)))


def _run(
    session: Session,
    ctx: Context,
    query: ParsedQuery,
    listing: Select[tuple[Product]],
    include_inactive: bool,
    limit: int,
    offset: int,
) -> tuple[list[ProductHit], int]:
    """One page of products in `listing` with a matching variant, by their best variant's score, and the
    total (counted only when the page is full or past the end)."""
    matched, score = _matches(query)
    variant_filter = [Variant.client_id == ctx.client_id, matched]
    if not include_inactive:
        variant_filter.append(Variant.is_active.is_(True))
    best = (
        select(
            Variant.product_id.label("product_id"),
            func.max(score).label("score"),
            func.array_agg(aggregate_order_by(Variant.id, score.desc(), Variant.sku)).label("variant_ids"),
        )
        .join(Variant.product)
        .where(*variant_filter)
        .group_by(Variant.product_id)
        .subquery()
    )
    ranked = listing.join(best, best.c.product_id == Product.id)
    scoped(session, ctx)
    rows = session.execute(
        ranked.add_columns(best.c.score, best.c.variant_ids)
        .order_by(best.c.score.desc(), Product.name, Product.id)
        .limit(limit)
        .offset(offset)
        .options(catalog.with_variants(ctx))
    ).all()
    hits = []
    for product, product_score, variant_ids in rows:
        loaded = {variant.id: variant for variant in product.variants}
        for variant in loaded.values():
            set_committed_value(variant, "product", product)  # the loaded parent, so no lazy load is needed
        hits.append(ProductHit(product, float(product_score), [loaded[i] for i in variant_ids if i in loaded]))
    if len(rows) < limit and (rows or not offset):  # the last page: the total is known without counting
        return hits, offset + len(rows)
    return hits, session.scalar(select(func.count()).select_from(ranked.subquery())) or 0


def _word_search(
    session: Session,
    ctx: Context,
    query: ParsedQuery,
    listing: Select[tuple[Product]],
    include_inactive: bool,
    limit: int,
    offset: int,
) -> SearchPage:
    """Full-text search, and again with typos corrected against this shop's vocabulary when nothing matched."""
    hits, total = _run(session, ctx, query, listing, include_inactive, limit, offset)
    if total or not query.words:
        return SearchPage(hits, total)
    corrections = correct_words(query.words, _vocabulary(session, ctx))
    if not corrections:
        return SearchPage(hits, total)
    hits, total = _run(session, ctx, query.with_words(corrections), listing, include_inactive, limit, offset)
    return SearchPage(hits, total, corrections)


def _with_meaning(
    words: SearchPage, similar: list[tuple[Product, float]], include_inactive: bool, limit: int, offset: int
) -> SearchPage:
    """Word hits and meaning matches merged by reciprocal-rank fusion; a product found only by meaning
    offers its (active) variants in SKU order."""
    hits = {hit.product.id: hit for hit in words.hits}
    for product, _ in similar:
        if product.id not in hits:
            variants = sorted((v for v in product.variants if include_inactive or v.is_active), key=lambda v: v.sku)
            for variant in variants:
                set_committed_value(variant, "product", product)
            hits[product.id] = ProductHit(product, 0.0, variants)
    fused = fuse_rankings([[hit.product.id for hit in words.hits], [product.id for product, _ in similar]])
    page = [ProductHit(hits[i].product, score, hits[i].variants) for i, score in fused[offset : offset + limit]]
    return SearchPage(page, len(fused), words.corrections)


def search_products(
    session: Session,
    ctx: Context,
    text: str,
    *,
    category: str | None = None,
    low_stock: bool = False,
    include_inactive: bool = False,
    limit: int = 20,
    offset: int = 0,
    meaning: TextEmbedder | None = None,
) -> SearchPage:
    """Products matching `text` (see the module docstring), best first, with their matching
    variants; the listing filters of `catalog.product_listing` apply. Two statements (three when
    the page is full: the total is counted), and a vocabulary query plus as many again when a typo
    is corrected. With a sentence embedder
    (`meaning`), products whose text means something like `text` join the ranking too."""
    catalog.check_page(limit, offset)
    query = parse_query(text)
    if not query.text:
        raise ValidationFailed("say what to look for: a product name, a category or a SKU")
    listing = catalog.product_listing(ctx, category=category, low_stock=low_stock, include_inactive=include_inactive)
    if meaning is None:
        return _word_search(session, ctx, query, listing, include_inactive, limit, offset)
    words = _word_search(session, ctx, query, listing, include_inactive, FUSION_CANDIDATES, 0)
    similar = semantic.similar_products(session, ctx, meaning, query.text, listing)
    return _with_meaning(words, similar, include_inactive, limit, offset)


def search_variants(
    session: Session, ctx: Context, text: str, limit: int = 5, meaning: TextEmbedder | None = None
) -> list[Variant]:
    """The sellable variants that best match `text`, each with its product (for the sales agent):
    `search_products` over active products, its matching variants in rank order; when nothing
    matches, again with only the words the catalog knows (`_known_words`)."""
    if not 1 <= limit <= MAX_VARIANT_MATCHES:
        raise ValidationFailed(f"limit must be 1–{MAX_VARIANT_MATCHES}")
    page = search_products(session, ctx, text, limit=limit, meaning=meaning)
    if not page.hits:
        known = _known_words(session, ctx, parse_query(text))
        if known:
            page = search_products(session, ctx, " ".join(known), limit=limit, meaning=meaning)
    return [variant for hit in page.hits for variant in hit.variants][:limit]


def _known_words(session: Session, ctx: Context, query: ParsedQuery) -> list[str]:
    """The words of a query that found nothing which this shop's catalog knows (as a prefix of
    one of its words, or after a typo correction), when some other words are unknown: what a
    shopper says around a product ("do you still have belts", "pls") is not part of its name."""
    if len(query.words) < 2 or query.excluded:
        return []
    vocabulary = _vocabulary(session, ctx)
    corrections = correct_words(query.words, vocabulary)
    known = [
        corrections.get(word, word)
        for word in query.words
        if word in corrections or any(v.startswith(word) or word in (f"{v}s", f"{v}es") for v in vocabulary)
    ]
    return known if 0 < len(known) < len(query.words) else []


IMAGE_CANDIDATES = 100
MAX_IMAGE_RESULTS = 50
RRF_K = 60


@dataclass
class ImageMatch:
    """A product found from a photo: its score (cosine similarity of the best picture, or the fused rank score)."""

    product: Product
    score: float


@dataclass
class ImageSearchResult:
    """Products like the photo, best first, and the vision model's words when one was asked."""

    matches: list[ImageMatch]
    description: str | None = None


def fuse_rankings(rankings: Sequence[Sequence[uuid.UUID]], k: int = RRF_K) -> list[tuple[uuid.UUID, float]]:
    """Reciprocal-rank fusion: each id scores Σ 1/(k + rank) over the rankings it appears in, best first."""
    scores: dict[uuid.UUID, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], str(pair[0])))


def nearest_products(session: Session, ctx: Context, vector: Sequence[float], limit: int) -> list[ImageMatch]:
    """Active products whose pictures are nearest to `vector` (cosine), within this client only."""
    scoped(session, ctx)
    semantic.use_hnsw_scan(session)
    distance = ProductImage.embedding.cosine_distance(vector)
    nearest = (
        select(ProductImage.product_id.label("product_id"), distance.label("distance"))
        .where(ProductImage.client_id == ctx.client_id)
        .order_by(distance)
        .limit(IMAGE_CANDIDATES)
        .cte("nearest")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    best = (
        select(nearest.c.product_id, func.min(nearest.c.distance).label("distance"))
        .group_by(nearest.c.product_id)
        .subquery()
    )
    rows = session.execute(
        catalog.product_listing(ctx)
        .join(best, best.c.product_id == Product.id)
        .add_columns(best.c.distance)
        .order_by(best.c.distance, Product.name, Product.id)
        .limit(limit)
        .options(catalog.with_variants(ctx))
    ).all()
    return [ImageMatch(product, 1.0 - float(product_distance)) for product, product_distance in rows]


def search_by_image(
    session: Session,
    ctx: Context,
    embedder: ImageEmbedder,
    data: bytes,
    *,
    limit: int = 10,
    describer: ImageDescriber | None = None,
) -> ImageSearchResult:
    """Products that look like the photo in `data` (JPEG, PNG or WebP), best first, this client's only."""
    if not 1 <= limit <= MAX_IMAGE_RESULTS:
        raise ValidationFailed(f"limit must be 1–{MAX_IMAGE_RESULTS}")
    picture = images.read_picture(data)
    matches = nearest_products(session, ctx, embedder.embed(picture.image), limit)
    if describer is None:
        return ImageSearchResult(matches)
    try:
        description = describer.describe(picture.data, picture.content_type)
    except DescriberUnavailable:
        return ImageSearchResult(matches)
    words = parse_query(description).words
    if not words:
        return ImageSearchResult(matches, description)
    described = search_products(session, ctx, " or ".join(words), limit=limit).products
    products = {p.id: p for p in [m.product for m in matches] + described}
    fused = fuse_rankings([[m.product.id for m in matches], [p.id for p in described]])
    return ImageSearchResult([ImageMatch(products[i], score) for i, score in fused[:limit]], description)
