"""Data for repairing broken <a>/<img> markup left in scraped text."""

from __future__ import annotations

# Attributes that hold an image's original, full-size URL, most trusted first. Lazy-loading scripts put
# the real image here and a placeholder or a resized variant in src.
IMAGE_URL_ATTRIBUTES = (
    "esrc", "data-original", "data-src", "data-actualsrc", "original", "data-echo", "data-lazy-src",
    "data-url", "file", "src",
)

# Query parameters that make a CDN return a processed (resized, re-encoded) variant of an image.
IMAGE_PROCESSING_PARAMS = (
    "x-bce-process", "x-oss-process", "x-image-process", "x-cos-process", "imageView2", "imageMogr2",
    "imageslim", "watermark", "thumbnail",
)

# HTML elements whose leftover tags are removed from text (the text between them is kept).
INLINE_TAGS = (
    "a", "span", "font", "b", "strong", "i", "em", "u", "p", "div", "img", "section", "center", "small",
    "big", "sup", "sub", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "tr", "td", "th",
    "tbody", "thead", "blockquote", "br", "hr", "label", "strike", "s", "iframe", "embed", "video", "source",
)

# Elements whose whole content is dropped when a page is parsed as HTML.
DROPPED_ELEMENTS = (
    "script", "style", "noscript", "nav", "header", "footer", "aside", "iframe", "button", "select",
    "svg", "canvas", "template", "object", "embed",
)
