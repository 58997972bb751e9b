"""What a reader or a moderator does through the real pages, for tests: post a comment, sign in, act on
a comment; and a look at what the app stored. Rows are made in tests/factories.py, forms are read by
scripts/live.py's parser (``form_fields``, ``form_token``)."""

import re
from html.parser import HTMLParser

from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus, ModerationEvent
from scripts.live import form_fields, form_token
from tests.factories import PASSWORD


def post_comment(
    client,
    slug="on-embassies",
    comment="A thoughtful comment.",
    *,
    author="Ada Reader",
    email="ada@example.org",
    url="",
    page=None,
    headers=None,
    **extra,
):
    """Fetch the article's form as a browser would, fill it in and post it (with ``headers``); return the response."""
    html = client.get(page or f"/{slug}/").text
    data = form_fields(html)
    data.update(comment=comment, author=author, email=email, url=url)
    data.update(extra)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/{slug}/comments", data=data, headers=headers)


def location_ids(response) -> tuple[int, str]:
    """Return (comment id, moderation hash) from the 303 after a post."""
    m = re.fullmatch(
        r"/[^/?#]+/\?unapproved=(\d+)&moderation-hash=([0-9a-f]+)#comment-(\d+)",
        response.headers.get("Location", ""),
    )
    assert m, response.headers.get("Location")
    assert m.group(1) == m.group(3)
    return int(m.group(1)), m.group(2)


def login(client, username="mod", password=PASSWORD, next=None, **environ):
    """Sign in through the real form; return the POST's response."""
    page = client.get("/admin/login" + (f"?next={next}" if next else ""), **environ)
    data = {"csrf_token": form_token(page.text), "username": username, "password": password}
    if next is not None:
        data["next"] = next
    return client.post("/admin/login", data=data, **environ)


def queue(client, **params):
    """GET the queue; return the response."""
    return client.get("/admin/comments", query_string=params)


def act(client, comment_id, action, next="/admin/comments", **extra):
    """Press a row button: POST with the token of the queue page."""
    token = form_token(client.get("/admin/comments").text)
    return client.post(f"/admin/comments/{comment_id}/{action}", data={"csrf_token": token, "next": next, **extra})


def bulk(client, ids, action, next="/admin/comments"):
    """Tick these rows and press a bulk button: POST with the token of the queue page."""
    token = form_token(client.get("/admin/comments").text)
    return client.post(
        "/admin/comments/bulk", data={"csrf_token": token, "next": next, "action": action, "ids": [str(i) for i in ids]}
    )


def status_of(comment_id) -> CommentStatus | None:
    """The comment's status as the app committed it (None once it is deleted)."""
    db.session.rollback()  # see what the app committed, not what this session cached
    comment = db.session.get(Comment, comment_id)
    return comment.status if comment else None


def events_of(comment_id) -> list[ModerationEvent]:
    """The moderation events the app committed for the comment, oldest first."""
    db.session.rollback()
    return db.session.scalars(
        db.select(ModerationEvent).where(ModerationEvent.comment_id == comment_id).order_by(ModerationEvent.id)
    ).all()


class Tags(HTMLParser):
    """Every start tag of a page as (tag, attrs), and the page's text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag=None, **attrs):
        return [
            a
            for t, a in self.tags
            if (tag is None or t == tag) and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]
