"""The pending link: the author of a held comment sees it on the article, and only they do (SPEC §4).

In: the comment id and hash from ``?unapproved=ID&moderation-hash=HASH``. Out: the waiting comment,
or None.
"""

from datetime import timedelta

from flask import current_app, url_for

from blog.comments.posting import comment_id
from blog.comments.signing import Purpose, digest, matches
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, utcnow
from blog.spam import model as spam


def _signed_value(comment: Comment) -> str:
    return f"{comment.id}|{int(comment.created_at.timestamp())}"


def moderation_hash(comment: Comment) -> str:
    """Return the hash that lets this comment's author see it while it waits (bound to id and time)."""
    return digest(Purpose.PENDING_LINK, _signed_value(comment))


def waiting(comment: Comment) -> bool:
    """Whether a comment still waits for a moderator, as its author sees it: pending, or sent to Spam by
    the spam filter alone. The filter can misjudge a real reader, whom a moderator may still rescue
    from Spam, so the author is told it awaits moderation (and a spammer learns nothing from the
    answer). A honeypot catch, or a comment a moderator marked spam or trash, waits no longer."""
    if comment.status is CommentStatus.PENDING:
        return True
    return comment.status is CommentStatus.SPAM and comment.spam_label is None and spam.filtered(comment.reasons)


def pending_comment(article: Article, given_id: str | None, given_hash: str | None) -> Comment | None:
    """Return the comment a valid, unexpired pending link points at, while it still ``waiting``: once
    approved it shows as any other."""
    wanted = comment_id(given_id)
    if wanted is None or not given_hash:
        return None
    comment = db.session.get(Comment, wanted)
    if comment is None or comment.article_id != article.id or not waiting(comment):
        return None
    if not matches(Purpose.PENDING_LINK, _signed_value(comment), given_hash):
        return None
    hours = current_app.config["COMMENT_PENDING_LINK_HOURS"]
    if utcnow() - comment.created_at > timedelta(hours=hours):
        return None
    return comment


def pending_location(article: Article, comment: Comment) -> str:
    """Where the author goes after posting (SPEC §4): their comment, on the article's first page."""
    path = url_for("pages.article", slug=article.slug)
    return f"{path}?unapproved={comment.id}&moderation-hash={moderation_hash(comment)}#comment-{comment.id}"
