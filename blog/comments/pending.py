"""The pending link: the author of a held comment sees it on the article, and only they do (SPEC §4).

In: the comment id and hash from ``?unapproved=ID&moderation-hash=HASH``. Out: the waiting comment,
or None.
"""

import hashlib
import hmac
from datetime import timedelta

from flask import current_app, url_for

from blog.comments.posting import comment_id
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, utcnow


def _pending_key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"blog.comments.moderation-hash", hashlib.sha256).digest()


def moderation_hash(comment: Comment) -> str:
    """Return the hash that lets this comment's author see it while it waits (bound to id and time)."""
    stamp = int(comment.created_at.timestamp())
    return hmac.new(_pending_key(), f"{comment.id}|{stamp}".encode(), hashlib.sha256).hexdigest()[:32]


def pending_comment(article: Article, given_id: str | None, given_hash: str | None) -> Comment | None:
    """Return the comment a valid, unexpired pending link points at, while it still waits for a
    moderator: once approved it shows as any other, and once marked spam or trash it is no longer
    "awaiting moderation"."""
    wanted = comment_id(given_id)
    if wanted is None or not given_hash:
        return None
    comment = db.session.get(Comment, wanted)
    if comment is None or comment.article_id != article.id or comment.status is not CommentStatus.PENDING:
        return None
    if not hmac.compare_digest(given_hash.encode(), moderation_hash(comment).encode()):
        return None
    hours = float(current_app.config.get("COMMENT_PENDING_LINK_HOURS") or 0)
    if utcnow() - comment.created_at > timedelta(hours=hours):
        return None
    return comment


def pending_location(article: Article, comment: Comment) -> str:
    """Where the author goes after posting (SPEC §4): their comment, on the article's first page."""
    path = url_for("pages.article", slug=article.slug)
    return f"{path}?unapproved={comment.id}&moderation-hash={moderation_hash(comment)}#comment-{comment.id}"
