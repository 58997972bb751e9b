"""Test actions for comments: make an article and comments directly, read and post the form."""

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from itertools import count

from blog.core.extensions import db
from blog.core.models import Article, ArticleStatus, Comment, CommentStatus

_serial = count(1)


def make_article(slug="on-embassies", title="On Embassies", *, days_old=3, comments_open=True, **fields):
    """Store a published article the way the publish pipeline would, and return it."""
    article = Article(
        slug=slug,
        title=title,
        author="Editor",
        status=ArticleStatus.PUBLISHED,
        published_at=datetime.now(UTC) - timedelta(days=days_old),
        comments_open=comments_open,
        html="<p>An article about embassies.</p>",
        **fields,
    )
    db.session.add(article)
    db.session.commit()
    return article


def make_comment(
    article,
    text="A comment.",
    *,
    status=CommentStatus.APPROVED,
    parent=None,
    author="Reader",
    email=None,
    url="",
    ip="192.0.2.10",
    created_at=None,
    minutes_ago=None,
):
    """Store a comment directly (the post path is tested elsewhere) and return it."""
    n = next(_serial)
    if created_at is None:
        created_at = datetime.now(UTC) - timedelta(minutes=minutes_ago if minutes_ago is not None else 1000 - n)
    comment = Comment(
        article_id=article.id,
        parent_id=parent.id if parent is not None else None,
        author_name=author,
        author_email=email or f"reader{n}@example.org",
        author_url=url,
        author_ip=ip,
        user_agent="pytest",
        raw_text=text,
        html=f"<p>{text}</p>",
        status=status,
        reasons=[],
        created_at=created_at,
        approved_at=created_at if status is CommentStatus.APPROVED else None,
    )
    db.session.add(comment)
    db.session.commit()
    return comment


class _Forms(HTMLParser):
    """Collect the default submission of the #commentform form (what a browser would send)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields = {}
        self.action = None
        self._in_form = False
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "commentform":
            self._in_form = True
            self.action = attrs.get("action")
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") != "submit":
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value", "on")
            else:
                self.fields[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        if tag == "form":
            self._in_form = False


def form_fields(html: str) -> dict:
    parser = _Forms()
    parser.feed(html)
    assert parser.action, "no #commentform on the page"
    return parser.fields


def post_comment(
    client,
    slug="on-embassies",
    comment="A thoughtful comment.",
    *,
    author="Ada Reader",
    email="ada@example.org",
    url="",
    page=None,
    **extra,
):
    """Fetch the article's form as a browser would, fill it in and post it; return the response."""
    html = client.get(page or f"/{slug}/").text
    data = form_fields(html)
    data.update(comment=comment, author=author, email=email, url=url)
    data.update(extra)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/{slug}/comments", data=data)


def location_ids(response) -> tuple[int, str]:
    """Return (comment id, moderation hash) from the 303 after a post."""
    m = re.fullmatch(
        r"/[^/?#]+/\?unapproved=(\d+)&moderation-hash=([0-9a-f]+)#comment-(\d+)",
        response.headers.get("Location", ""),
    )
    assert m, response.headers.get("Location")
    assert m.group(1) == m.group(3)
    return int(m.group(1)), m.group(2)


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
