"""Rows for tests that need articles and comments without going through the publish or post pipeline.

The one place tests make articles and comments. Call inside an app context; each returns the stored
object. The session expires it on commit, so read what you need (``.id``, ``.slug``) before the app
context ends.
"""

from datetime import timedelta
from itertools import count

from blog.core.extensions import db
from blog.core.models import Article, ArticleStatus, ArticleTag, Comment, CommentStatus, Moderator, utcnow
from blog.core.sanitize import clean_comment
from blog.moderation.accounts import create_moderator
from blog.publishing.source import tag_slug

PASSWORD = "correct horse battery staple"

_serial = count(1)


def make_article(slug: str | None = None, title: str | None = None, *, days_old: int = 3, **fields) -> Article:
    """Store a published article, open for comments, as the publish pipeline would; ``fields`` set any
    other column."""
    n = next(_serial)
    values = {
        "slug": slug or f"article-{n}",
        "title": title or f"Article {n}",
        "author": "Ada Writer",
        "summary": f"The summary of article {n}.",
        "description": f"The description of article {n}.",
        "status": ArticleStatus.PUBLISHED,
        "published_at": utcnow() - timedelta(days=days_old),
        "html": f"<p>The body of article {n}.</p>",
    }
    values.update(fields)
    article = Article(**values)
    # As publishing stores them: one row per tag slug, the first spelling kept.
    slugs = {}
    for name in article.tags or []:
        slugs.setdefault(tag_slug(name), name)
    article.tag_rows = [ArticleTag(slug=slug, name=name) for slug, name in slugs.items()]
    db.session.add(article)
    db.session.commit()
    return article


def make_comment(
    article: Article,
    text: str | None = None,
    *,
    status: CommentStatus = CommentStatus.APPROVED,
    parent: Comment | None = None,
    author: str | None = None,
    email: str | None = None,
    url: str = "",
    ip: str = "192.0.2.10",
    reasons=None,
    age: timedelta = timedelta(minutes=1),
    **fields,
) -> Comment:
    """Store a comment straight into the database (the post path is tested through the form).

    Approved unless ``status`` says otherwise; a pending one carries the reason the rules give a
    first-time commenter. Each comment gets its own author and email, so the rules that look at earlier
    comments (duplicates, known commenters) see strangers. ``age`` is how long ago it was written;
    ``fields`` set any other column (``html``, ``created_at``...).
    """
    n = next(_serial)
    text = f"Comment {n}." if text is None else text
    if reasons is None:
        reasons = ["held for moderation"] if status is CommentStatus.PENDING else []
    created_at = fields.pop("created_at", None) or utcnow() - age
    values = {
        "article_id": article.id,
        "parent_id": parent.id if parent is not None else None,
        "author_name": author or f"Reader {n}",
        "author_email": email or f"reader{n}@example.org",
        "author_url": url,
        "author_ip": ip,
        "user_agent": "pytest",
        "raw_text": text,
        "html": clean_comment(text),
        "status": status,
        "reasons": list(reasons),
        "created_at": created_at,
        "approved_at": created_at if status is CommentStatus.APPROVED else None,
    }
    values.update(fields)
    comment = Comment(**values)
    db.session.add(comment)
    db.session.commit()
    return comment


def make_moderator(username: str = "mod", password: str = PASSWORD, email: str = "mod@example.org") -> Moderator:
    """Store a moderator through the account rules the ``flask moderator create`` command uses."""
    return create_moderator(username, password, email)
