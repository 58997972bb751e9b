"""Answer plain article GETs from a rendered copy, checked against the database on every request.

An article page is the same bytes for every anonymous reader: the comment form's token is signed for
the article and a window of time, not for the reader (blog/comments/csrf.py), and no cookie is set.
So the page is rendered once and kept, keyed by the article's ``version`` and the token's window; each
request asks the database for that version (one indexed query), and when it matches, the copy is
served as it is, with a strong ETag and a ``Cache-Control`` that lets a shared cache (nginx, a CDN) keep
it. Its gzip and Brotli forms are made once, with the copy, and chosen by ``Accept-Encoding``. The
version is bumped in the same transaction as every change a reader would see
(blog/reading/versions.py), so no worker, on any machine, can serve a stale page: the copy is only a
shortcut, and correctness lives in the database.

Requests that see something of their own go the normal way through Flask, which marks them private:
a query string (``?replytocom``, ``?unapproved``), the commenter's remembered name, a comment they may
still edit, a moderator's session.
"""

import contextlib
import hashlib
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import CookieError, SimpleCookie

from sqlalchemy import event

from blog.comments import csrf
from blog.comments.author_cookie import AUTHOR_COOKIE
from blog.comments.editing import COOKIE_PREFIX as EDIT_COOKIE_PREFIX
from blog.core import compression
from blog.core.extensions import db
from blog.core.models import ArticleStatus, public
from blog.reading.listing import next_due

_PATH = re.compile(r"^/([a-z0-9][a-z0-9_-]{0,199})/(?:comment-page-([1-9][0-9]{0,5})/)?$")
MAX_PAGES = 512
MAX_AGE_SECONDS = 3600
# A page every reader gets alike (an article, the index, a tag page, an archive, a feed), which any cache
# may keep: a browser asks again each time (for an article, a 304 costs one indexed query), a shared
# cache keeps it a second and may serve it while it revalidates, so a new approved comment or article
# reaches every reader within 2 s (nginx counts whole seconds: a second's copy is served for one to two;
# deploy/nginx.conf).
SHARED = "public, max-age=0, s-maxage=1, stale-while-revalidate=30"
# A page that shows the reader something of their own (a remembered name, a pending comment, a
# moderator's view): their browser only.
PERSONAL = "private, no-cache"
# Made once per copy, on the request that renders it: Brotli's quality 6 takes ~6 ms for an article
# with 100 comments and is within 1% of 9 (~45 ms); 11 would be 130 ms on the first view after each change.
LEVELS = {"br": 6, "gzip": 6}
# What the app builds absolute URLs from, directly or through ProxyFix (FLASK_TRUSTED_PROXIES).
_ORIGIN = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)


@dataclass(frozen=True)
class Page:
    version: int
    window: int  # of the form's token in the page
    valid_until: float
    forms: dict[str, bytes]  # the body by Content-Encoding ("identity", "gzip", "br")
    headers: tuple[tuple[str, str], ...]
    # Of the bytes, not only the version: a page also changes with time alone (a scheduled article
    # becomes its neighbour), and a browser revalidating must not be told 304 for the old links.
    etag: str


class PageCache:
    """WSGI middleware in front of the Flask app (see the module docstring)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.pages: OrderedDict[tuple, Page] = OrderedDict()
        self.lock = threading.Lock()
        self.local = threading.local()  # each worker thread's own connection for the version lookup
        self.dedicated = []

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return self.wsgi_app(environ, start_response)
        match = _PATH.match(environ.get("PATH_INFO", ""))
        if not match:
            return self.wsgi_app(environ, start_response)
        cookies = _cookies(environ)
        if cookies is None or carries_own_cookies(cookies.keys(), self.app.config):
            return self.wsgi_app(environ, start_response)
        slug, page_no = match.group(1), int(match.group(2) or 1)
        try:
            row = self._current(slug)
        except Exception:  # the database is unreachable: Flask answers 503 in the site layout
            return self.wsgi_app(environ, start_response)
        if row is None:
            return self.wsgi_app(environ, start_response)  # unknown, draft or not yet due: Flask's 404
        version, published_at = row
        # The settings that change the page with time alone are part of the key.
        close_days = self.app.config["CLOSE_COMMENTS_DAYS"]
        # The page holds absolute URLs (canonical, og:url, JSON-LD) made from the request's host and
        # scheme: a copy rendered for one Host header must never be served for another.
        key = (slug, page_no, close_days, tuple(environ.get(k, "") for k in _ORIGIN))
        window = csrf.window_of(time.time(), csrf.lifetime(self.app.config))
        page = self._get(key, version, window)
        if page is None:
            valid_until = time.time() + MAX_AGE_SECONDS
            if close_days:
                # Comments close by date: the page with the form must not outlive that moment.
                closes = (published_at + timedelta(days=close_days)).timestamp()
                valid_until = min(valid_until, closes) if closes > time.time() else valid_until
            # A scheduled article, once due, is the previous or next of a page kept now: keep it until then.
            valid_until = min(valid_until, self._next_due())
            page = self._render(environ, key, version, window, valid_until)
            if page is None:
                return self.wsgi_app(environ, start_response)
        return self._serve(environ, start_response, page)

    def _current(self, slug: str) -> tuple[int, datetime] | None:
        """Return the public article's (version, published_at), or None; one indexed query.

        Straight through the DB-API: this runs on every cached page view, and SQLAlchemy's Connection
        would cost more than the query itself (measured on SQLite: 3.5 µs of CPU a lookup on the raw
        connection, 27 µs through a held Connection with exec_driver_sql and the rollback that ends
        its read snapshot, 35 µs with a select()). Each of the server's threads keeps a connection of
        its own, sparing the pool's checkout, reset and checkin (under granian, a fifth of the Python
        time of a cached page when it borrowed one per request).
        """
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = self._connect()
        try:
            cursor = conn.cursor()
            cursor.execute(self._sql, (slug,))
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            self.local.conn = None  # a broken connection: the next request opens a new one
            conn.close()
            raise
        if row is None:
            return None
        version, status, published_at = row
        if isinstance(published_at, str):  # SQLite keeps datetimes as text, in UTC
            published_at = datetime.fromisoformat(published_at)
        if published_at.tzinfo is None:
            published_at = published_at.replace(tzinfo=UTC)
        if not public(ArticleStatus(status), published_at):
            return None
        return version, published_at

    def _next_due(self) -> float:
        try:
            with self.app.app_context():
                due = next_due()
        except Exception:  # the database went away since the version lookup: keep the page for no one
            return 0.0
        return due.timestamp() if due is not None else float("inf")

    def _connect(self):
        """Open this thread's connection, outside the pool; close those of threads that have ended (a
        threaded server such as granian retires a thread that has been idle a while)."""
        with self.app.app_context():
            engine = db.engine
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        # Public or not is decided by the one rule (blog/core/models.py), on the values read.
        self._sql = f"SELECT version, status, published_at FROM article WHERE slug = {mark}"
        conn = engine.raw_connection()
        driver = conn.dbapi_connection
        conn.detach()  # ours for the life of the thread, outside the pool
        conn = driver
        if engine.dialect.name == "postgresql":
            # Each lookup is a statement of its own: no transaction left open between requests
            # (the pool's pre-ping may have opened one).
            conn.rollback()
            conn.autocommit = True
        with self.lock:
            if not self.dedicated:
                event.listen(engine, "engine_disposed", self.close)
            ended = [c for thread, c in self.dedicated if not thread.is_alive()]
            self.dedicated = [(t, c) for t, c in self.dedicated if t.is_alive()]
            self.dedicated.append((threading.current_thread(), conn))
        for left in ended:
            with contextlib.suppress(Exception):  # already broken: nothing left to close
                left.close()
        return conn

    def close(self, *args):
        """Close the threads' own connections (when the engine is disposed, as at shutdown)."""
        with self.lock:
            connections, self.dedicated = self.dedicated, []
        for _, conn in connections:
            with contextlib.suppress(Exception):  # already broken: nothing left to close
                conn.close()
        self.local = threading.local()

    def _get(self, key, version, window) -> Page | None:
        with self.lock:
            page = self.pages.get(key)
            if page is None or page.version != version or page.window != window or page.valid_until < time.time():
                return None
            self.pages.move_to_end(key)
            return page

    def _render(self, environ, key, version, window, valid_until) -> Page | None:
        """Render the page through Flask, as any anonymous reader would get it: no cookies, no conditions."""
        # No Accept-Encoding either: the copy is kept whole, and compressed here, once.
        inner = {
            k: v
            for k, v in environ.items()
            if k not in ("HTTP_COOKIE", "HTTP_ACCEPT_ENCODING") and not k.startswith("HTTP_IF_")
        }
        inner["REQUEST_METHOD"] = "GET"
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        with contextlib.closing(self.wsgi_app(inner, capture)) as chunks:  # close() runs the call_on_close callbacks
            body = b"".join(chunks)
        headers = captured.get("headers", [])
        if not captured.get("status", "").startswith("200") or any(k.lower() == "set-cookie" for k, _ in headers):
            return None  # not a page we may keep (an error, or a page with a cookie): Flask answers it
        keep = tuple(
            (k, v)
            for k, v in headers
            if k.lower()
            not in ("content-length", "content-encoding", "cache-control", "etag", "vary", "last-modified", "expires")
        )
        digest = hashlib.blake2b(body, digest_size=6).hexdigest()
        forms = {"identity": body}
        forms |= {coding: compression.compress(body, coding, LEVELS) for coding in compression.CODINGS}
        page = Page(version, window, valid_until, forms, keep, f"{version}-{window}-{digest}")
        # The version may have moved while we rendered; a page kept under the old one is never served.
        with self.lock:
            self.pages[key] = page
            self.pages.move_to_end(key)
            while len(self.pages) > MAX_PAGES:
                self.pages.popitem(last=False)
        return page

    @staticmethod
    def _serve(environ, start_response, page: Page):
        encoding = compression.choose(environ.get("HTTP_ACCEPT_ENCODING")) or "identity"
        # Each form is its own representation, so its own strong ETag (RFC 9110, 8.8.3).
        etag = f'"{page.etag}"' if encoding == "identity" else f'"{compression.coded_etag(page.etag, encoding)}"'
        headers = [*page.headers, ("Cache-Control", SHARED), ("ETag", etag), ("Vary", "Accept-Encoding")]
        if _matches(environ.get("HTTP_IF_NONE_MATCH"), etag):
            start_response("304 Not Modified", [(k, v) for k, v in headers if k.lower() != "content-type"])
            return [b""]
        body = page.forms[encoding]
        if encoding != "identity":
            headers.append(("Content-Encoding", encoding))
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match names this ETag (weak comparison, as RFC 9110 asks for a GET)."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def carries_own_cookies(names, config) -> bool:
    """Whether a request carries a cookie of the reader's own: a remembered name, an edit cookie (the
    author of a fresh comment sees an Edit form under it), a moderator's session."""
    own = {config["SESSION_COOKIE_NAME"], config["REMEMBER_COOKIE_NAME"], AUTHOR_COOKIE}
    return bool(own & set(names)) or any(name.startswith(EDIT_COOKIE_PREFIX) for name in names)


def _cookies(environ) -> dict[str, str] | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return {}
    try:
        jar = SimpleCookie()
        jar.load(raw)
    except CookieError:
        return None
    return {k: m.value for k, m in jar.items()}


def init_app(app):
    if app.config.get("PAGE_CACHE", True):
        app.wsgi_app = PageCache(app, app.wsgi_app)
