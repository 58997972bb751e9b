"""The edit window (SPEC §12): for COMMENT_EDIT_MINUTES after posting, the author's browser, and only it,
may edit or delete the comment.

In: the cookie set on posting (signed, bound to the comment's id and creation time, as Isso's) and the
edited text. Out: the comment cleaned and decided again by every moderation rule, with a record in its
history for moderators; or deleted.
"""

from datetime import datetime, timedelta

from flask import current_app

from blog.comments import notices
from blog.comments.pending import waiting
from blog.comments.posting import judge
from blog.comments.signing import Purpose, matches, signed_id, signed_id_of
from blog.core import normalise
from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus, ModerationEvent, utcnow
from blog.moderation.actions import delete_comment
from blog.reading.versions import touch_article
from blog.spam import store as spam_filter

COOKIE_PREFIX = "comment_edit_"
BY_THE_AUTHOR = "the author"  # in the history, where a moderator's name would be


def cookie_name(comment_id: int) -> str:
    return f"{COOKIE_PREFIX}{comment_id}"


def _bound_to(comment: Comment) -> str:
    return str(int(comment.created_at.timestamp()))


def window_ends(comment: Comment) -> datetime:
    return comment.created_at + timedelta(minutes=current_app.config["COMMENT_EDIT_MINUTES"])


def set_cookie(response, comment: Comment, path: str):
    """Hand the author's browser the right to edit ``comment`` until the window ends (none when it is 0)."""
    minutes = current_app.config["COMMENT_EDIT_MINUTES"]
    if minutes > 0:
        response.set_cookie(
            cookie_name(comment.id),
            signed_id(Purpose.EDIT_COOKIE, comment.id, _bound_to(comment)),
            max_age=minutes * 60,
            path=path,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def edit_cookies(cookies) -> dict[int, str]:
    """Return {comment id: cookie value} of the request's edit cookies, unchecked (may_edit checks)."""
    found = {}
    for name, value in cookies.items():
        if name.startswith(COOKIE_PREFIX) and name[len(COOKIE_PREFIX) :].isdigit():
            found[int(name[len(COOKIE_PREFIX) :])] = value
    return found


def may_edit(comment: Comment, cookies: dict[int, str], now: datetime | None = None) -> bool:
    """Whether this browser may still edit or delete ``comment``: its cookie, within the window, and
    the comment not yet sent to spam or trash by a moderator (one the spam filter alone sent to Spam
    still ``waiting``, and an edit is scored again)."""
    value = cookies.get(comment.id)
    if not value or comment.status is CommentStatus.TRASH:
        return False
    if comment.status is CommentStatus.SPAM and not waiting(comment):
        return False
    if (now or utcnow()) > window_ends(comment):
        return False
    parsed = signed_id_of(value)
    return (
        parsed is not None
        and parsed[0] == comment.id
        and matches(Purpose.EDIT_COOKIE, f"{comment.id}|{_bound_to(comment)}", parsed[1])
    )


def _history(comment: Comment, action: str, before: CommentStatus, detail: str) -> None:
    db.session.add(
        ModerationEvent(
            comment_id=comment.id,
            moderator_name=BY_THE_AUTHOR,
            action=action,
            from_status=before.value,
            to_status=comment.status.value,
            detail=detail,
        )
    )


def edit(comment: Comment, text: str, html: str) -> Comment:
    """Save the author's new text (``html`` cleaned by the form), decided again by every rule, and commit.

    An approved comment stays approved only if the rules approve it again; otherwise it waits (or goes
    to spam or trash) as a new comment saying this would.
    """
    begin_write()
    comment = db.session.get(Comment, comment.id, populate_existing=True)
    before, old_text = comment.status, comment.raw_text
    now = utcnow()
    # Decided again, as a new comment with this text would be.
    example = spam_filter.Example(
        text,
        html,
        comment.author_name,
        comment.author_url,
        normalise.text_shape(text),
        comment.article_id,
        comment.author_ip,
        comment.author_email_key,
        now,
    )
    status, reasons, spam = judge(db.session.connection(), example, comment.author_email, comment.user_agent)
    comment.raw_text, comment.html, comment.edited_at = text, html, now
    comment.spam_score = spam.score  # (raw_text derives the fingerprint and the shape itself)
    comment.status, comment.reasons = status, reasons
    if status is CommentStatus.APPROVED and comment.approved_at is None:
        comment.approved_at = now
    # "Edited by the author" in the queue's history, with what the rules said and the text it had.
    _history(comment, "edit", before, f"in the edit window ({', '.join(reasons)}); the text was: {old_text[:2000]}")
    if status is CommentStatus.APPROVED and before is not CommentStatus.APPROVED:
        notices.queue_approved([comment])
    touch_article(comment.article_id)
    db.session.commit()
    return comment


def delete(comment: Comment) -> None:
    """Delete the comment at its author's wish (its replies move up), keeping the record, and commit."""
    begin_write()
    comment = db.session.get(Comment, comment.id, populate_existing=True)
    db.session.add(
        ModerationEvent(
            comment_id=None,
            moderator_name=BY_THE_AUTHOR,
            action="delete",
            from_status=comment.status.value,
            to_status="deleted",
            detail=f"Comment #{comment.id} by {comment.author_name}, deleted by its author",
        )
    )
    article_id = comment.article_id
    delete_comment(comment)
    touch_article(article_id)
    db.session.commit()
