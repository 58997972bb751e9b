"""Send fewer bytes: text responses compressed with Brotli or gzip, whichever the client takes.

In: a finished response and the request's ``Accept-Encoding``. Out: the same response with its body
compressed (Brotli preferred, then gzip), ``Content-Encoding``, ``Vary: Accept-Encoding`` and an ETag
of its own. ``choose`` and ``compress`` are the one place that reads the header and runs the coders,
for the static files (blog/core/assets.py) and the page cache's copies (blog/reading/pagecache.py) as
for the other pages.
"""

import gzip
import re

import brotli
from flask import request

# Our order of preference when the client likes two codings equally: Brotli is 15-25 % smaller on HTML.
CODINGS = ("br", "gzip")
# Below this a compressed body saves less than its headers cost.
MIN_SIZE = 500
# Per request: Brotli 5 and gzip 6 are within a few percent of their best on HTML at a fraction of the
# CPU. Files compressed once (the static files) use the best levels.
FAST = {"br": 5, "gzip": 6}
BEST = {"br": 11, "gzip": 9}

_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/xml",
        "application/atom+xml",
        "application/rss+xml",
        "application/manifest+json",
        "image/svg+xml",
    }
)
_CODING = re.compile(r"^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*(?:;\s*q\s*=\s*([0-9.]+)\s*)?$")


def compressible(mimetype: str | None) -> bool:
    """Whether a body of this type is text that compresses (HTML, CSS, JS, feeds, JSON, SVG, plain text)."""
    if not mimetype:
        return False
    return mimetype.startswith("text/") or mimetype in _TEXT_TYPES or mimetype.endswith(("+xml", "+json"))


def accepted(header: str | None) -> dict[str, float]:
    """Return the codings of an ``Accept-Encoding`` header with their q values (``q=0`` means refused).

    A malformed entry is left out, as if the client had not named it.
    """
    codings = {}
    for part in (header or "").split(","):
        match = _CODING.match(part)
        if not match:
            continue
        try:
            q = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        codings[match.group(1).lower()] = min(max(q, 0.0), 1.0)
    return codings


def choose(header: str | None, offered=CODINGS) -> str | None:
    """Return the coding of ``offered`` to send for this ``Accept-Encoding``, or None for the body as is.

    The client's q values rank first, our order breaks ties; ``*`` stands for every coding it does not
    name, and ``q=0`` refuses one (``br;q=0, *`` is gzip).
    """
    codings = accepted(header)
    best, best_q = None, 0.0
    for coding in offered:
        q = codings.get(coding, codings.get("*", 0.0))
        if q > best_q:
            best, best_q = coding, q
    return best


def compress(body: bytes, coding: str, level: dict[str, int] = FAST) -> bytes:
    """Return ``body`` compressed with ``coding`` ("br" or "gzip"); the same bytes in gives the same bytes out."""
    if coding == "br":
        return brotli.compress(body, quality=level["br"])
    return gzip.compress(body, compresslevel=level["gzip"], mtime=0)


def coded_etag(etag: str, coding: str) -> str:
    """Return the ETag of a compressed body: another body, so another strong validator than the identity one."""
    return f"{etag}-{coding}"


def compress_response(response):
    """Compress a text response for a client that accepts it (an ``after_request`` hook)."""
    if (
        request.method == "HEAD"
        or response.status_code < 200
        or response.status_code in (204, 206, 304)
        or response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or response.cache_control.no_transform
        or not compressible(response.mimetype)
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    response.vary.add("Accept-Encoding")
    coding = choose(request.headers.get("Accept-Encoding"))
    if coding is None:
        return response
    response.set_data(compress(body, coding))
    response.headers["Content-Encoding"] = coding
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(coded_etag(etag, coding))
    return response


def init_app(app):
    app.after_request(compress_response)
