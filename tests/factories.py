"""Rows for tests that need articles and comments without going through the publish pipeline."""

from datetime import timedelta
from itertools import count

from blog.core.extensions import db
from blog.core.models import Article, ArticleStatus, ArticleTag, Comment, CommentStatus, utcnow
from blog.publishing.source import tag_slug

_serial = count(1)


def make_article(**fields) -> Article:
    """Store a published article (call inside an app context); ``fields`` override the defaults."""
    n = next(_serial)
    values = {
        "slug": f"article-{n}",
        "title": f"Article {n}",
        "author": "Ada Writer",
        "summary": f"The summary of article {n}.",
        "description": f"The description of article {n}.",
        "status": ArticleStatus.PUBLISHED,
        "published_at": utcnow() - timedelta(days=1),
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


def make_comment(article: Article, **fields) -> Comment:
    """Store an approved comment on ``article`` (call inside an app context)."""
    n = next(_serial)
    values = {
        "article_id": article.id,
        "author_name": f"Reader {n}",
        "author_email": f"reader{n}@example.org",
        "author_ip": "203.0.113.7",
        "user_agent": "TestBrowser/1.0",
        "raw_text": f"Comment {n}",
        "html": f"<p>Comment {n}</p>",
        "status": CommentStatus.APPROVED,
    }
    values.update(fields)
    comment = Comment(**values)
    db.session.add(comment)
    db.session.commit()
    return comment
