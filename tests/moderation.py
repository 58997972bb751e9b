"""Helpers for the admin tests: an article, comments straight into the database, a moderator who signs in
through the real form."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, ModerationEvent, utcnow
from blog.core.sanitize import clean_comment
from blog.moderation import accounts
from blog.moderation.accounts import create_moderator

PASSWORD = "correct horse battery staple"


@pytest.fixture
def fast_hashing(monkeypatch):
    """Hash with argon2id at its cheapest, so tests that sign in often stay fast (test_auth checks the real one)."""
    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def make_article(slug="a-fine-article", title="A Fine Article") -> int:
    article = Article(slug=slug, title=title, html="<p>Body.</p>", published_at=datetime(2024, 1, 1, tzinfo=UTC))
    db.session.add(article)
    db.session.commit()
    return article.id


def make_comment(
    article_id,
    text="A thoughtful comment.",
    *,
    status=CommentStatus.PENDING,
    name="Ada Reader",
    email="ada@example.org",
    url="",
    ip="192.0.2.10",
    parent_id=None,
    reasons=("held for moderation",),
    age=timedelta(0),
) -> int:
    comment = Comment(
        article_id=article_id,
        parent_id=parent_id,
        author_name=name,
        author_email=email,
        author_url=url,
        author_ip=ip,
        user_agent="pytest",
        raw_text=text,
        html=clean_comment(text),
        status=status,
        reasons=list(reasons),
        created_at=utcnow() - age,
        approved_at=utcnow() if status is CommentStatus.APPROVED else None,
    )
    db.session.add(comment)
    db.session.commit()
    return comment.id


def make_moderator(username="mod", password=PASSWORD, email="mod@example.org") -> int:
    return create_moderator(username, password, email).id


def status_of(comment_id) -> CommentStatus | None:
    db.session.rollback()  # see what the app committed, not what this session cached
    comment = db.session.get(Comment, comment_id)
    return comment.status if comment else None


def events_of(comment_id) -> list[ModerationEvent]:
    db.session.rollback()
    return db.session.scalars(
        db.select(ModerationEvent).where(ModerationEvent.comment_id == comment_id).order_by(ModerationEvent.id)
    ).all()


def csrf(html: str) -> str:
    """The first CSRF token on the page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username="mod", password=PASSWORD, next=None, **environ):
    """Sign in through the real form; return the POST's response."""
    page = client.get("/admin/login" + (f"?next={next}" if next else ""), **environ)
    data = {"csrf_token": csrf(page.text), "username": username, "password": password}
    if next is not None:
        data["next"] = next
    return client.post("/admin/login", data=data, **environ)


def queue(client, **params):
    """GET the queue; return the response."""
    return client.get("/admin/comments", query_string=params)


def act(client, comment_id, action, next="/admin/comments", **extra):
    """Press a row button: POST with the token of the queue page."""
    token = csrf(client.get("/admin/comments").text)
    return client.post(f"/admin/comments/{comment_id}/{action}", data={"csrf_token": token, "next": next, **extra})


def bulk(client, ids, action, next="/admin/comments"):
    token = csrf(client.get("/admin/comments").text)
    return client.post(
        "/admin/comments/bulk", data={"csrf_token": token, "next": next, "action": action, "ids": [str(i) for i in ids]}
    )
