"""Faults: the database gone, a commit that fails, the whole server killed mid-run and started again."""

import os
import threading
import time

import pytest
import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet

from blog import create_app
from blog.comments import csrf
from blog.comments.posting import UNAVAILABLE
from blog.core.extensions import db
from blog.core.models import Comment
from scripts.live import SEED_SLUG, BrowserSession, LiveBlog, form_fields, free_port, post_comment
from tests.actions import Tags
from tests.actions import post_comment as post_form
from tests.conftest import SITE, TEST_DATA_KEY
from tests.factories import make_article

SECRET = "test-secret-key"
TYPED = {
    "comment": "My <b>considered</b> view, “quoted”,\nover two lines & more.",
    "author": "Zoë O’Reilly",
    "email": "zoe@example.org",
    "url": "https://zoe.example.org/",
    "wp-comment-cookies-consent": "yes",
    "comment_parent": "7",
    "phone": "",
}


def dead_databases():
    return {
        # Nothing listens there: connecting is refused at once.
        "postgresql": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/blog?connect_timeout=2",
        # A folder that does not exist cannot hold the file, so SQLite cannot open it.
        "sqlite": "sqlite:////nonexistent-read-only-dir/blog/blog.sqlite3",
    }


def signed_token(slug: str) -> str:
    return csrf.token(csrf.key_for(SECRET), slug, csrf.window_of(time.time(), 3600))


@pytest.fixture(params=["postgresql", "sqlite"])
def dead_app(request, content_dir):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": dead_databases()[request.param],
            "CONTENT_DIR": str(content_dir),
        }
    )


def test_database_unreachable_keeps_everything_typed(dead_app):
    client = dead_app.test_client()
    response = client.post(f"/{SEED_SLUG}/comments", data={**TYPED, "csrf_token": signed_token(SEED_SLUG)})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "no-store" in response.headers["Cache-Control"]
    page = Tags(response.text)
    assert UNAVAILABLE in " ".join("".join(page.text).split())
    assert page.find("style")  # in the site layout, with its inlined CSS
    fields = form_fields(response.text)
    for name, value in TYPED.items():
        assert fields[name] == value, name
    assert page.find("form", action=f"/{SEED_SLUG}/comments")
    # A fresh token for the article, so that trying again works once the database is back.
    with dead_app.app_context():
        csrf.check_token(fields["csrf_token"], SEED_SLUG)


def test_database_unreachable_health_and_pages_answer_503(dead_app):
    client = dead_app.test_client()
    assert client.get("/healthz").status_code == 503
    for path in ("/", f"/{SEED_SLUG}/", "/feed/"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "cannot reach its database" in response.text


def test_a_commit_that_fails_stores_nothing_and_keeps_the_form(app, client, monkeypatch):
    with app.app_context():
        make_article("on-embassies")
        dialect = db.engine.dialect

    def broken_commit(self, dbapi_connection):
        raise dialect.loaded_dbapi.OperationalError("disk I/O error")

    # In the dialect, so the driver itself fails, whichever connection or Session commits.
    monkeypatch.setattr(type(dialect), "do_commit", broken_commit)
    response = post_form(client, comment="Still here after the failure?")
    monkeypatch.undo()

    assert response.status_code == 503
    assert form_fields(response.text)["comment"] == "Still here after the failure?"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
    assert post_form(client, comment="Still here after the failure?").status_code == 303


# -- the whole server killed mid-run, and started again on the same database -----------------------------


def kinds():
    # The suite runs once per database; this test follows it (LiveBlog makes its own PostgreSQL schema).
    return ["postgresql"] if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else ["sqlite"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", kinds())
def test_restart_after_kill_loses_no_acknowledged_comment(kind):
    site = {"FLASK_CONTENT_DIR": str(SITE)}  # the tests' own articles, not the blogger's content/
    tag = f"crash{os.getpid()}x{int(time.time())}"
    acknowledged, lock, stop = set(), threading.Lock(), threading.Event()

    def poster(worker: int):
        session = BrowserSession()
        for i in range(worker, 10_000, 4):
            if stop.is_set():
                return
            try:
                r = post_comment(
                    session, blog.url, SEED_SLUG, f"{tag} comment {i}.", f"{tag}-{i}", f"{tag}-{i}@example.org"
                )
            except requests.RequestException:  # the server is being killed under us
                continue
            if r.status_code == 303:
                with lock:
                    acknowledged.add(i)

    with LiveBlog(kind, workers=2, env=site) as blog:
        threads = [threading.Thread(target=poster, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        while len(acknowledged) < 40:
            time.sleep(0.02)
        blog.crash()  # every process of the server at once, in the middle of posts
        stop.set()
        for t in threads:
            t.join(30)

        with LiveBlog(kind, workers=2, env=site, database_url=blog.database_url, publish=False) as again:
            engine = again.engine()
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT author_name, author_email, raw_text, html, status FROM comment "
                        "WHERE author_name LIKE :p"
                    ),
                    {"p": f"{tag}-%"},
                ).all()
            engine.dispose()
            stored = [int(r.author_name.rsplit("-", 1)[1]) for r in rows]
            assert acknowledged <= set(stored), sorted(acknowledged - set(stored))
            assert len(stored) == len(set(stored))  # none twice
            for r in rows:  # and each one whole
                i = r.author_name.rsplit("-", 1)[1]
                assert (Fernet(TEST_DATA_KEY).decrypt(r.author_email.encode()).decode(), r.raw_text, r.status) == (
                    f"{tag}-{i}@example.org",
                    f"{tag} comment {i}.",
                    "pending",
                )
                assert r.html == f"<p>{tag} comment {i}.</p>"
            # and the restarted server takes comments again
            r = post_comment(
                BrowserSession(), again.url, SEED_SLUG, f"{tag} after the restart", "After", "after@example.org"
            )
            assert r.status_code == 303
