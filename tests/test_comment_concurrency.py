"""The flood and duplicate rules hold for posts sent at the same moment, across articles, on every database."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from blog.comments import rules as moderation
from blog.core.extensions import db
from blog.core.models import Comment
from scripts.live import form_fields
from tests.factories import make_article


def post_at_once(app, monkeypatch, posts):
    """Send these posts (slug, ip, fields) together, each from a client and a connection of its own;
    return their status codes, sorted."""
    clients, forms = [], []
    for slug, ip, fields in posts:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = ip
        clients.append(client)
        forms.append(form_fields(client.get(f"/{slug}/").text) | fields)
    # Hold each post between the rules' query and its commit for a moment, so that all of them are
    # inside that window together: without a lock, each would decide before the others commit.
    decide = moderation.decide

    def slow_decide(*args, **kwargs):
        time.sleep(0.3)
        return decide(*args, **kwargs)

    monkeypatch.setattr(moderation, "decide", slow_decide)
    barrier = threading.Barrier(len(posts))

    def send(i):
        barrier.wait()
        return clients[i].post(f"/{posts[i][0]}/comments", data=forms[i]).status_code

    with ThreadPoolExecutor(len(posts)) as pool:
        return sorted(pool.map(send, range(len(posts))))


def stored_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Comment.id)))


@pytest.mark.parametrize(
    "sender",
    [
        lambda n: ("198.51.100.9", {"email": f"reader{n}@example.org", "author": f"Reader {n}"}),  # one IP
        lambda n: (f"198.51.100.{n + 1}", {"email": "Same@example.org", "author": f"Reader {n}"}),  # one email
    ],
    ids=["same-ip", "same-email"],
)
def test_simultaneous_posts_to_three_articles_store_one_under_the_flood_rule(app, ctx, monkeypatch, sender):
    app.config["COMMENT_FLOOD_SECONDS"] = 15
    slugs = [make_article(f"article-{n}", f"Article {n}").slug for n in range(3)]
    posts = []
    for n, slug in enumerate(slugs):
        ip, fields = sender(n)
        posts.append((slug, ip, fields | {"comment": f"Comment number {n}."}))
    assert post_at_once(app, monkeypatch, posts) == [303, 429, 429]
    assert stored_count() == 1


def test_simultaneous_copies_of_one_comment_store_one(app, ctx, monkeypatch):
    slug = make_article("on-embassies", "On Embassies").slug
    fields = {"comment": "The same words.", "email": "ada@example.org", "author": "Ada"}
    posts = [
        (slug, f"198.51.100.{n + 1}", fields | {"email": e})
        for n, e in enumerate(["ada@example.org", "ADA@example.org"])
    ]
    assert post_at_once(app, monkeypatch, posts) == [303, 409]
    assert stored_count() == 1
