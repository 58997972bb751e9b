"""The article page cache: one query per view whatever the comment count, never stale on any worker."""

import gzip
import threading
import time
from datetime import timedelta
from html import escape

import brotli
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from blog import create_app
from blog.comments import csrf
from blog.core import compression, sanitize
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, Moderator, utcnow
from blog.moderation import actions
from blog.reading.pagecache import SHARED
from scripts.live import form_fields
from tests.factories import make_article, make_comment


@pytest.fixture
def article(app):
    with app.app_context():
        return make_article(slug="on-embassies", title="On Embassies").id


def add_comments(app, article_id, n, status=CommentStatus.APPROVED):
    """Add ``n`` comments, every other one a reply, in one transaction, as moderation would leave them."""
    with app.app_context():
        start = utcnow() - timedelta(days=2)
        previous = None
        for i in range(n):
            c = Comment(
                article_id=article_id,
                parent_id=previous.id if i % 2 and previous else None,
                author_name=f"Reader {i}",
                author_email=f"r{i}@example.org",
                raw_text=f"Words {i}",
                html=f"<p>Words {i}</p>",
                status=status,
                created_at=start + timedelta(seconds=i),
            )
            db.session.add(c)
            if i % 2 == 0:
                db.session.flush()
            previous = c
        db.session.commit()


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, *args):
        self.statements.append(statement)


def statements_for(app, client, path):
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        assert client.get(path).status_code == 200
    return counter.statements


@pytest.mark.parametrize("path", ["/on-embassies/?render=1", "/on-embassies/comment-page-1/?render=1"])
def test_a_rendered_article_page_runs_the_same_queries_for_0_100_and_1000_comments(app, client, article, path):
    counts = []
    for added in (0, 100, 900):  # 0, then 100, then 1,000 comments in all
        add_comments(app, article, added)
        counts.append(len(statements_for(app, client, path)))
    assert counts[0] == counts[1] == counts[2], counts
    # BEGIN, the article, its approved comments, its previous and next (one union), the header's pages.
    assert counts[0] <= 5


class CountingConnection:
    """A DB-API connection that notes every statement its cursors run."""

    def __init__(self, conn, seen):
        self.conn, self.seen = conn, seen

    def cursor(self):
        cursor, seen = self.conn.cursor(), self.seen

        class Counting:
            def execute(self, sql, params=()):
                seen.append(sql)
                return cursor.execute(sql, params)

            def __getattr__(self, name):
                return getattr(cursor, name)

        return Counting()

    def __getattr__(self, name):
        return getattr(self.conn, name)


def test_a_cached_view_asks_the_database_one_question(app, client, article, monkeypatch):
    add_comments(app, article, 100)
    client.get("/on-embassies/")  # renders and keeps the page
    # The cache asks through the DB-API, below SQLAlchemy's events: count there, on a new connection.
    cache, seen = app.wsgi_app, []
    cache.local.conn = None
    real_connect = cache._connect
    monkeypatch.setattr(cache, "_connect", lambda: CountingConnection(real_connect(), seen))
    response = client.get("/on-embassies/")
    assert response.status_code == 200
    assert "100 thoughts on" in response.text
    assert len(seen) == 1 and seen[0].startswith("SELECT version, status, published_at FROM article WHERE slug = ")


def test_each_thread_keeps_its_own_connection_and_one_of_a_thread_that_ended_is_closed(app, client, article):
    """A threaded server (granian) retires a thread that has been idle; its connection must not stay open."""
    client.get("/on-embassies/")
    cache = app.wsgi_app

    def look_up():
        assert cache._current("on-embassies") is not None

    first = threading.Thread(target=look_up)
    first.start()
    first.join()
    [ended] = [conn for thread, conn in cache.dedicated if thread is first]
    second = threading.Thread(target=look_up)
    second.start()
    second.join()
    threads = [thread for thread, _ in cache.dedicated]
    assert first not in threads and second in threads
    with pytest.raises(Exception, match="(?i)closed"):  # sqlite3 and psycopg both say so
        ended.cursor().execute("SELECT 1")


def test_the_cached_page_carries_a_token_that_posts(app, client, article):
    client.get("/on-embassies/")
    page = client.get("/on-embassies/")  # from the cache
    data = form_fields(page.text) | {"comment": "From a cached page.", "author": "Ada", "email": "ada@example.org"}
    assert client.post("/on-embassies/comments", data=data).status_code == 303


def test_every_anonymous_reader_gets_the_same_bytes_and_no_cookie(app, article):
    first, second = app.test_client(), app.test_client()
    a, b = first.get("/on-embassies/"), second.get("/on-embassies/")  # rendered, then from the copy
    assert a.data == b.data and a.headers["ETag"] == b.headers["ETag"]
    for response in (a, b):
        assert response.headers.getlist("Set-Cookie") == []
        assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=1, stale-while-revalidate=30"
        assert "Vary" not in response.headers or "Cookie" not in response.headers["Vary"]


def test_the_etag_is_strong_and_from_the_articles_version(app, client, article):
    etag = client.get("/on-embassies/").headers["ETag"]
    with app.app_context():
        version = db.session.scalar(sa.text("SELECT version FROM article"))
    assert etag.startswith(f'"{version}-') and not etag.startswith("W/")


def test_conditional_get_answers_304_until_the_page_changes(app, client, article):
    first = client.get("/on-embassies/")
    etag = first.headers["ETag"]
    again = app.test_client().get("/on-embassies/", headers={"If-None-Match": etag})  # any reader, any cache
    assert again.status_code == 304 and again.data == b""
    assert client.get("/on-embassies/", headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    add_comments(app, article, 1)
    changed = client.get("/on-embassies/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_new_token_window_makes_a_new_page(app, client, article, monkeypatch):
    first = client.get("/on-embassies/")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + csrf.WINDOW_SECONDS)
    later = client.get("/on-embassies/")
    assert form_fields(later.text)["csrf_token"] != form_fields(first.text)["csrf_token"]
    assert later.headers["ETag"] != first.headers["ETag"]
    assert client.get("/on-embassies/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


@pytest.mark.parametrize(
    ("cookie", "path"),
    [
        ("comment_author", "/on-embassies/"),
        ("comment_edit_1", "/on-embassies/"),
        ("blog_session", "/on-embassies/"),
        ("remember_token", "/on-embassies/"),
        (None, "/on-embassies/?unapproved=1&moderation-hash=0"),
    ],
)
def test_readers_who_see_something_of_their_own_get_a_private_page(app, client, article, cookie, path):
    if cookie:
        client.set_cookie(cookie, "x")
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers.getlist("Set-Cookie") == []


def test_listings_and_feeds_are_the_same_for_every_reader_and_say_so(app, article):
    """The index, tag pages, archives and feeds show nothing of a reader's own: any cache may keep them."""
    with app.app_context():
        published = make_article(slug="tagged", tags=["Travel"]).published_at
        make_comment(db.session.get(Article, article))
    year, month = published.year, f"{published.month:02d}"
    anonymous, known = app.test_client(), app.test_client()
    known.set_cookie("comment_author", "Ada")  # a reader with a remembered name
    for path in (
        "/",
        "/tag/travel/",
        f"/{year}/",
        f"/{year}/{month}/",
        "/feed/",
        "/tag/travel/feed/",
        "/on-embassies/feed/",
        "/comments/feed/",
    ):
        a, b = anonymous.get(path), known.get(path)
        assert a.status_code == b.status_code == 200, path
        assert a.data == b.data, path
        for response in (a, b):
            assert response.headers["Cache-Control"] == SHARED, path
            assert response.headers.getlist("Set-Cookie") == [], path
    for path in ("/page/9/", "/tag/nowhere/", "/page/1/"):  # past the last page, no such tag, a redirect
        assert "Cache-Control" not in anonymous.get(path).headers, path


def test_a_newly_approved_comment_shows_at_once_on_every_worker(app_config, app, article):
    """Two app instances on one database stand for two workers (or two machines)."""
    other = create_app(app_config)
    worker_a, worker_b = app.test_client(), other.test_client()
    add_comments(app, article, 1, status=CommentStatus.PENDING)
    for worker in (worker_a, worker_b):
        assert "Words 0" not in worker.get("/on-embassies/").text  # both have the page cached now
    with app.app_context():
        moderator = Moderator(username="mod", password_hash="x")
        db.session.add(moderator)
        db.session.commit()
        moderator_id = moderator.id
        comment_id = db.session.scalar(sa.select(Comment.id))
        actions.apply([comment_id], "approve", moderator)
    for worker in (worker_a, worker_b):
        assert "Words 0" in worker.get("/on-embassies/").text
    with app.app_context():
        actions.apply([comment_id], "trash", db.session.get(Moderator, moderator_id))
    for worker in (worker_a, worker_b):
        assert "Words 0" not in worker.get("/on-embassies/").text
    with other.app_context():
        db.engine.dispose()


def test_an_edit_to_an_approved_comment_shows_at_once(app, client, article):
    add_comments(app, article, 1)
    assert "Words 0" in client.get("/on-embassies/").text
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment))
        moderator = Moderator(username="mod", password_hash="x")
        db.session.add(moderator)
        db.session.commit()
        actions.edit(comment, "Edited words", comment.author_name, comment.author_email, "", moderator)
    page = client.get("/on-embassies/").text
    assert "Edited words" in page and "Words 0" not in page


def test_a_pending_comment_does_not_disturb_the_cache(app, client, article):
    client.get("/on-embassies/")
    with app.app_context():
        before = db.session.scalar(sa.text("SELECT version FROM article"))
    add_comments(app, article, 3, status=CommentStatus.PENDING)
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT version FROM article")) == before


def test_personal_views_bypass_the_cache(app, client, article):
    add_comments(app, article, 1)
    client.get("/on-embassies/")
    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id))
    reply = client.get(f"/on-embassies/?replytocom={comment_id}")
    assert "Leave a Reply to Reader 0" in reply.text


def test_unknown_and_future_articles_are_not_served_from_the_cache(app, client):
    with app.app_context():
        make_article(slug="soon", published_at=utcnow() + timedelta(days=1))
    assert client.get("/soon/").status_code == 404
    assert client.get("/nothing-here/").status_code == 404


@pytest.mark.parametrize(
    "text", ["0.__COMMENT_FORM_TOKEN__", "__COMMENT_FORM_TOKEN__", "0.<comment-form-token>"], ids=["old", "name", "new"]
)
@pytest.mark.parametrize("where", ["comment", "article"])
def test_text_like_the_token_placeholder_keeps_the_page_cached(app, client, text, where):
    """Words that spell the token placeholder the cache once used, in an approved comment or an article,
    are shown as cleaned and the page stays cached: such a comment once switched the cache off (issue 11, 6)."""
    typed = f"Look: {text} here."
    with app.app_context():
        if where == "article":
            html = sanitize.clean_article(f"<p>{escape(typed)}</p>")
            make_article(slug="on-embassies", html=html)
        else:
            html = sanitize.clean_comment(typed)
            make_comment(make_article(slug="on-embassies"), raw_text=typed, html=html)
    first = client.get("/on-embassies/")
    assert first.status_code == 200
    assert list(app.wsgi_app.pages) != []  # rendered once and kept
    again = client.get("/on-embassies/")  # from the copy
    for page in (first, again):
        assert html in page.text
        if "<" not in text:
            assert f"Look: {text} here." in page.text  # shown literally
        assert form_fields(page.text)["csrf_token"] == form_fields(first.text)["csrf_token"]
    data = form_fields(again.text) | {"comment": "Posted from the copy.", "author": "Ada", "email": "ada@example.org"}
    assert client.post("/on-embassies/comments", data=data).status_code == 303


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("br;q=0, gzip;q=0.5", "gzip"), ("*", "br"), ("", None)],
)
def test_the_page_goes_out_compressed_as_the_reader_accepts(app, client, article, accept, encoding):
    add_comments(app, article, 20)
    plain = client.get("/on-embassies/")
    response = client.get("/on-embassies/", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == encoding
    assert response.headers["Vary"] == "Accept-Encoding" and plain.headers["Vary"] == "Accept-Encoding"
    decode = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding]
    assert decode(response.data) == plain.data
    assert int(response.headers["Content-Length"]) == len(response.data)
    if encoding:
        assert len(response.data) < len(plain.data) / 3
        assert response.headers["ETag"] != plain.headers["ETag"]  # another representation, another strong ETag
    again = client.get("/on-embassies/", headers={"Accept-Encoding": accept, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == response.headers["ETag"]


def test_the_compressed_forms_are_made_once_per_version(app, client, article, monkeypatch):
    made = []
    real = compression.compress
    monkeypatch.setattr(compression, "compress", lambda body, *args: made.append(args[0]) or real(body, *args))
    for _ in range(3):
        assert client.get("/on-embassies/", headers={"Accept-Encoding": "br"}).status_code == 200
    assert made == ["br", "gzip"]
    add_comments(app, article, 1)
    for _ in range(2):
        page = client.get("/on-embassies/", headers={"Accept-Encoding": "br"})
        assert "Words 0" in brotli.decompress(page.data).decode()
    assert made == ["br", "gzip"] * 2
