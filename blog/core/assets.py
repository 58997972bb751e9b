"""The site's own static files: named for their content, compressed once, and the readers' CSS in the page.

In: the files under static/, read once when the app is made (the site's own few files, under 100 KiB;
the articles' images are under /media/). Out:

- ``asset_url(filename)`` for templates: ``/static/css/site.1a2b3c4d5e.css``, a name that changes with
  the bytes, so the file is sent with ``Cache-Control: public, max-age=31536000, immutable``; the plain
  name keeps working and is revalidated through its ETag;
- both names sent from memory, text files compressed once with Brotli and gzip at their best levels;
- ``inline_css()``: the readers' stylesheets, minified, for a ``<style>`` in base.html, so no stylesheet request
  blocks the first paint, and ``style_source(app)``, their ``'sha256-…'`` for the Content-Security-Policy.
"""

import base64
import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass

from flask import Response, current_app, request
from jinja2 import pass_context
from markupsafe import Markup

from blog.core import compression

IMMUTABLE = "public, max-age=31536000, immutable"
# Every page's stylesheets, in the order the cascade needs. admin.css stays a file: only moderators load it.
INLINE_CSS = ("css/site.css", "css/code.css", "css/comments.css", "css/search.css")
DIGEST_LENGTH = 10
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
# A string as it stands, or spaces around punctuation that ends or separates, after a colon, or in a run.
_SPACE = re.compile(r"""("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|\s*([{};,>])\s*|(:)\s+|\s+""")


@dataclass(frozen=True)
class Asset:
    filename: str  # the plain name under static/
    hashed: str  # the same with the content's digest before the extension
    mimetype: str
    bodies: dict[str, bytes]  # coding ("identity", "br", "gzip") → the body in it


@dataclass(frozen=True)
class Assets:
    by_name: dict[str, Asset]
    by_hashed: dict[str, Asset]
    css: str
    style_source: str  # the CSP source that allows exactly the <style> holding ``css``


# Built once per process and folder contents: every app of a process (and every test) shares them,
# and Brotli's best level costs tens of milliseconds a file.
_built: dict[tuple, Assets] = {}


def hashed_name(filename: str, body: bytes) -> str:
    """Return ``css/site.css`` as ``css/site.<digest>.css``, the digest of ``body``."""
    digest = hashlib.sha256(body).hexdigest()[:DIGEST_LENGTH]
    stem, ext = os.path.splitext(filename)
    return f"{stem}.{digest}{ext}"


def minified_css(css: str) -> str:
    """Return ``css`` without its comments and the spaces no rule needs: 40 % fewer bytes, the same rules.

    Strings are kept as written; a space before a colon is kept (``a :hover`` is not ``a:hover``).
    """
    return _SPACE.sub(_tighten, _COMMENT.sub("", css)).strip()


def _tighten(match: re.Match) -> str:
    string, punctuation, colon = match.group(1, 2, 3)
    return string or punctuation or colon or " "


def _read(folder: str, filename: str) -> Asset:
    with open(os.path.join(folder, filename), "rb") as f:
        body = f.read()
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    bodies = {"identity": body}
    if compression.compressible(mimetype) and len(body) >= compression.MIN_SIZE:
        bodies |= {coding: compression.compress(body, coding, compression.BEST) for coding in compression.CODINGS}
    return Asset(filename, hashed_name(filename, body), mimetype, bodies)


def _files(folder: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        names = sorted(name for name in files if not name.startswith("."))
        found += [os.path.relpath(os.path.join(root, name), folder) for name in names]
    return [name.replace(os.sep, "/") for name in found]


def _stamp(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def build(folder: str) -> Assets:
    """Read, name and compress the files under ``folder`` (once per process while they are unchanged)."""
    files = _files(folder)
    key = (folder, tuple((name, _stamp(os.path.join(folder, name))) for name in files))
    if key in _built:
        return _built[key]
    assets = [_read(folder, name) for name in files]
    by_name = {asset.filename: asset for asset in assets}
    css = "\n".join(minified_css(by_name[name].bodies["identity"].decode()) for name in INLINE_CSS if name in by_name)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    built = Assets(by_name, {asset.hashed: asset for asset in assets}, css, f"'sha256-{digest}'")
    _built.clear()  # the files changed: the old copies are garbage
    _built[key] = built
    return built


@pass_context
def asset_url(context, filename: str) -> str:
    """Return the URL of a static file under its content-hashed name (the plain name if it is not known).

    Built with the template's own ``url_for``: the error page for a refused Host has one of its own
    (blog/core/errors.py).
    """
    asset = current_app.extensions["assets"].by_name.get(filename)
    return context["url_for"]("static", filename=asset.hashed if asset else filename)


def inline_css() -> Markup:
    """Return the readers' stylesheets for the ``<style>`` element of base.html (its hash is in the CSP)."""
    return Markup(current_app.extensions["assets"].css)


def style_source(app) -> str:
    """Return the CSP source (``'sha256-…'``) that allows the ``<style>`` of ``inline_css``."""
    return app.extensions["assets"].style_source


def send(filename: str):
    """Send a static file from memory: compressed when the client takes it, kept a year under its hashed name."""
    assets = current_app.extensions["assets"]
    asset = assets.by_hashed.get(filename)
    immutable = asset is not None
    asset = asset or assets.by_name.get(filename)
    if asset is None:
        return current_app.send_static_file(filename)  # added since the start, or missing: Flask's answer
    offered = tuple(coding for coding in compression.CODINGS if coding in asset.bodies)
    coding = compression.choose(request.headers.get("Accept-Encoding"), offered)
    response = Response(asset.bodies[coding or "identity"], mimetype=asset.mimetype)
    etag = asset.hashed  # the digest: a new file under the plain name is a new ETag too
    if coding:
        response.headers["Content-Encoding"] = coding
        etag = compression.coded_etag(etag, coding)
    if offered:
        response.vary.add("Accept-Encoding")
    response.set_etag(etag)
    response.headers["Cache-Control"] = IMMUTABLE if immutable else "public, no-cache"
    return response.make_conditional(request)


def init_app(app):
    app.extensions["assets"] = build(app.static_folder)
    app.view_functions["static"] = send
    app.jinja_env.globals.update(asset_url=asset_url, inline_css=inline_css)
