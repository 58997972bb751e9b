"""Answer plain article GETs from a rendered copy, checked against the database on every request.

An article page is the same for every anonymous reader but for the comment form's token. So the page
is rendered once with a placeholder for the token and kept, keyed by the article's ``version``; each
request asks the database for that version (one indexed query), and when it matches, the copy is
served with the reader's own token signed in. The version is bumped in the same transaction as every
change a reader would see (blog/reading/versions.py), so no worker, on any machine, can serve a stale page:
the copy is only a shortcut, and correctness lives in the database.

Requests that see something of their own go the normal way through Flask: a query string
(``?replytocom``, ``?unapproved``), the commenter's remembered name, a comment they may still edit, a
moderator's session.
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
from blog.core.extensions import db
from blog.core.models import ArticleStatus, public
from blog.reading.listing import next_due

_PATH = re.compile(r"^/([a-z0-9][a-z0-9_-]{0,199})/(?:comment-page-([1-9][0-9]{0,5})/)?$")
# A token signed for the start of the current hour: the page is identical for one reader within the
# hour, so a conditional GET can answer 304, and the token is still young when the reader posts.
TOKEN_BUCKET_SECONDS = 3600
MAX_PAGES = 512
MAX_AGE_SECONDS = 3600
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
    valid_until: float
    head: bytes
    tail: bytes  # empty when the page has no form, so no token
    headers: tuple[tuple[str, str], ...]
    # Of the bytes, not only the version: a page also changes with time alone (a scheduled article
    # becomes its neighbour), and a browser revalidating must not be told 304 for the old links.
    digest: str


class PageCache:
    """WSGI middleware in front of the Flask app (see the module docstring)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.pages: OrderedDict[tuple[str, int], Page] = OrderedDict()
        self.lock = threading.Lock()
        self.key = csrf.key_for(app.config["SECRET_KEY"])
        self.skip_cookies = {app.config["SESSION_COOKIE_NAME"], AUTHOR_COOKIE, app.config["REMEMBER_COOKIE_NAME"]}
        # Raw in the page, where any text of a reader or a writer has its "<" escaped (blog/comments/csrf.py).
        self.placeholder = csrf.PLACEHOLDER.encode()
        self.local = threading.local()  # each worker thread's own connection for the version lookup
        self.dedicated = []

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return self.wsgi_app(environ, start_response)
        match = _PATH.match(environ.get("PATH_INFO", ""))
        if not match:
            return self.wsgi_app(environ, start_response)
        cookies = _cookies(environ)
        if cookies is None or self.skip_cookies & cookies.keys() or _may_edit_something(cookies):
            return self.wsgi_app(environ, start_response)
        slug, page_no = match.group(1), int(match.group(2) or 1)
        try:
            row = self._current(slug, dedicated=not environ.get("wsgi.multithread"))
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
        page = self._get(key, version)
        if page is None:
            valid_until = time.time() + MAX_AGE_SECONDS
            if close_days:
                # Comments close by date: the page with the form must not outlive that moment.
                closes = (published_at + timedelta(days=close_days)).timestamp()
                valid_until = min(valid_until, closes) if closes > time.time() else valid_until
            # A scheduled article, once due, is the previous or next of a page kept now: keep it until then.
            valid_until = min(valid_until, self._next_due())
            page = self._render(environ, key, version, valid_until)
            if page is None:
                return self.wsgi_app(environ, start_response)
        return self._serve(environ, start_response, page, cookies.get(csrf.COOKIE_NAME, ""))

    def _current(self, slug: str, dedicated: bool) -> tuple[int, datetime] | None:
        """Return the public article's (version, published_at), or None; one indexed query.

        Straight through the DB-API: this runs on every cached page view, and SQLAlchemy's Connection
        would cost more than the query itself (measured on SQLite: 3.5 µs of CPU a lookup on the raw
        connection, 27 µs through a held Connection with exec_driver_sql and the rollback that ends
        its read snapshot, 35 µs with a select()). A single-threaded worker (gunicorn's sync
        workers) keeps a connection of its own, sparing the pool's checkout and pre-ping; a threaded
        server, whose threads come and go, borrows one from the pool.
        """
        conn = getattr(self.local, "conn", None) if dedicated else None
        if conn is None:
            conn = self._connect(dedicated)
            if dedicated:
                self.local.conn = conn
        try:
            cursor = conn.cursor()
            cursor.execute(self._sql, (slug,))
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            if dedicated:
                self.local.conn = None  # a broken connection: the next request opens a new one
                conn.close()
            raise
        finally:
            if not dedicated:
                conn.close()  # back to the pool (once, whether the lookup failed or not)
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

    def _connect(self, dedicated: bool):
        with self.app.app_context():
            engine = db.engine
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        # Public or not is decided by the one rule (blog/core/models.py), on the values read.
        self._sql = f"SELECT version, status, published_at FROM article WHERE slug = {mark}"
        conn = engine.raw_connection()
        if not dedicated:
            return conn
        driver = conn.dbapi_connection
        conn.detach()  # ours for the life of the worker, outside the pool
        conn = driver
        if engine.dialect.name == "postgresql":
            # Each lookup is a statement of its own: no transaction left open between requests
            # (the pool's pre-ping may have opened one).
            conn.rollback()
            conn.autocommit = True
        with self.lock:
            if not self.dedicated:
                event.listen(engine, "engine_disposed", self.close)
            self.dedicated.append(conn)
        return conn

    def close(self, *args):
        """Close the workers' own connections (when the engine is disposed, as at shutdown)."""
        with self.lock:
            connections, self.dedicated = self.dedicated, []
        for conn in connections:
            with contextlib.suppress(Exception):  # already broken: nothing left to close
                conn.close()
        self.local = threading.local()

    def _get(self, key, version) -> Page | None:
        with self.lock:
            page = self.pages.get(key)
            if page is None or page.version != version or page.valid_until < time.time():
                return None
            self.pages.move_to_end(key)
            return page

    def _render(self, environ, key, version, valid_until) -> Page | None:
        """Render the page through Flask, for everyone: no cookies, a placeholder for the token."""
        inner = {k: v for k, v in environ.items() if k != "HTTP_COOKIE" and not k.startswith("HTTP_IF_")}
        inner["REQUEST_METHOD"] = "GET"
        inner[csrf.PLACEHOLDER_ENVIRON] = True
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        with contextlib.closing(self.wsgi_app(inner, capture)) as chunks:  # close() runs the call_on_close callbacks
            body = b"".join(chunks)
        if not captured.get("status", "").startswith("200") or body.count(self.placeholder) > 1:
            return None  # not a page we may keep (an error): Flask answers it the normal way
        # No placeholder: a page without the form (comments closed); it is the same for everyone.
        head, _, tail = body.partition(self.placeholder)
        keep = tuple(
            (k, v)
            for k, v in captured["headers"]
            if k.lower()
            not in ("set-cookie", "content-length", "cache-control", "etag", "vary", "last-modified", "expires")
        )
        page = Page(version, valid_until, head, tail, keep, hashlib.blake2b(body, digest_size=6).hexdigest())
        # The version may have moved while we rendered; a page kept under the old one is never served.
        with self.lock:
            self.pages[key] = page
            self.pages.move_to_end(key)
            while len(self.pages) > MAX_PAGES:
                self.pages.popitem(last=False)
        return page

    def _serve(self, environ, start_response, page: Page, cookie: str):
        headers = list(page.headers)
        if not page.tail:
            return self._serve_plain(environ, start_response, page, headers)
        if not csrf.plausible(cookie):
            cookie = csrf.new_cookie_value()
            headers.append(("Set-Cookie", csrf.cookie_header(cookie, self.app.config["SESSION_COOKIE_SECURE"])))
        bucket = str(int(time.time()) // TOKEN_BUCKET_SECONDS * TOKEN_BUCKET_SECONDS)
        reader = hashlib.sha256(self.key + cookie.encode()).hexdigest()[:16]
        etag = f'W/"{page.version}-{page.digest}-{bucket}-{reader}"'
        headers += [("Cache-Control", "private, no-cache"), ("ETag", etag), ("Vary", "Cookie")]
        if environ.get("HTTP_IF_NONE_MATCH") == etag:
            start_response("304 Not Modified", [(k, v) for k, v in headers if k.lower() != "content-type"])
            return [b""]
        token = f"{bucket}.{csrf.mac(self.key, cookie, bucket)}".encode()
        body = page.head + token + page.tail
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    @staticmethod
    def _serve_plain(environ, start_response, page: Page, headers):
        etag = f'W/"{page.version}-{page.digest}"'
        headers += [("Cache-Control", "public, no-cache"), ("ETag", etag)]
        if environ.get("HTTP_IF_NONE_MATCH") == etag:
            start_response("304 Not Modified", [(k, v) for k, v in headers if k.lower() != "content-type"])
            return [b""]
        headers.append(("Content-Length", str(len(page.head))))
        start_response("200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [page.head]


def _may_edit_something(cookies: dict[str, str]) -> bool:
    # The author of a fresh comment sees an Edit form under it (blog/comments/editing.py).
    return any(name.startswith(EDIT_COOKIE_PREFIX) for name in cookies)


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
