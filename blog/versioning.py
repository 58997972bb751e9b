"""Tell every worker that an article's page changed."""

import sqlalchemy as sa

from .extensions import db
from .models import Article, Comment, CommentStatus


def touch_article(article_id: int) -> None:
    """Bump the article's version and recount its approved comments, in the caller's transaction.

    Call it after any change that alters what readers see of an article (a comment approved,
    unapproved, edited, spammed, trashed or deleted; a publish). Cached pages are keyed by the
    version, so no worker on any machine can serve the old page once this commits.
    """
    approved = (
        sa.select(sa.func.count(Comment.id))
        .where(Comment.article_id == article_id, Comment.status == CommentStatus.APPROVED)
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(Article)
        .where(Article.id == article_id)
        # A comment is no edit of the article: keep updated_at (feeds and the sitemap show it).
        .values(version=Article.version + 1, approved_count=approved, updated_at=Article.updated_at)
    )
