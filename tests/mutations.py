"""Mutations of real pages for fuzzing: each takes a page's bytes and a seeded random source and returns
the page damaged the way scraped pages are (cut, doubled, spliced, escaped twice, nested deep, with
stray markup, control bytes or undecodable bytes). Used by tests/test_fuzz.py and bench/bench_fuzz.py,
so both damage pages alike; the same seed gives the same pages."""

from __future__ import annotations

import random
from collections.abc import Callable

# Fragments that have broken or slowed cleanpipe, or that scraped pages carry: broken tag leftovers,
# Markdown openers, escaped breaks in their spellings, entities escaped twice, code fences, deep or
# unclosed markup, scripts and styles, math and SVG, control and undecodable bytes, lone surrogates
# escaped in JSON.
FRAGMENTS: tuple[bytes, ...] = (
    b'esrc="',
    b'" target="_blank">',
    b'/img.example.com/a.jpg" width="600"/>',
    b"![](",
    b"[",
    b"[a](",
    b"](",
    b'<a href="x">',
    b"</a>",
    b"<p>",
    b"</p>",
    b"<div>",
    b"</div>",
    b"<br>",
    b"&lt;br /&gt;",
    b"&amp;nbsp;",
    b"&amp;#39;",
    b"&shy;",
    b"x0dx0a",
    b"\\x0d\\x0a",
    b"\\r\\n",
    b"```",
    b"~~~",
    b"<pre>",
    b"</pre>",
    b"<script>var a = '<p>x</p>';</script>",
    b"<style>p { color: red }</style>",
    b"<math><mi>x</mi></math>",
    b"<svg><text>t</text></svg>",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"\x00",
    b"\x05\x06\x07",
    b"\xff\xfe",
    b"\xe4\xb8",
    b"\\ud800",
    b"\xe2\x80\x8b",
    b"\r",
    b"\t",
    b"# ",
    b"- ",
    b"| a | b |",
    b"---",
    "核心提示：".encode(),
    "※".encode(),
    "•".encode(),
    b"http://",
    b"//[",
)


def _span(page: bytes, rng: random.Random, most: int = 2000) -> tuple[int, int]:
    start = rng.randrange(len(page) + 1)
    return start, min(len(page), start + rng.randint(0, most))


def cut(page: bytes, rng: random.Random) -> bytes:
    start, end = _span(page, rng)
    return page[:start] + page[end:]


def double(page: bytes, rng: random.Random) -> bytes:
    start, end = _span(page, rng)
    return page[:end] + page[start:end] + page[end:]


def truncate(page: bytes, rng: random.Random) -> bytes:
    return page[: rng.randrange(len(page) + 1)]


def insert(page: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(page) + 1)
    fragment = rng.choice(FRAGMENTS) * rng.choice((1, 1, 1, 2, 5, 50, 500))
    return page[:at] + fragment + page[at:]


def flip(page: bytes, rng: random.Random) -> bytes:
    data = bytearray(page)
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def nest(page: bytes, rng: random.Random) -> bytes:
    tag = rng.choice((b"div", b"b", b"span", b"font", b"p", b"li"))
    depth = rng.choice((10, 300, 3000))
    at = rng.randrange(len(page) + 1)
    return page[:at] + (b"<" + tag + b">") * depth + page[at:]


MUTATIONS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    cut,
    double,
    truncate,
    insert,
    insert,
    insert,
    flip,
    nest,
)


def mutate(page: bytes, rng: random.Random, other: bytes | None = None) -> bytes:
    """The page with 1 to 4 mutations, and sometimes spliced with another page."""
    if other is not None and rng.random() < 0.15:
        page = page[: rng.randrange(len(page) + 1)] + other[rng.randrange(len(other) + 1) :]
    for _ in range(rng.randint(1, 4)):
        page = rng.choice(MUTATIONS)(page, rng)
    return page
