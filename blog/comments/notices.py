"""What commenters are told by email, only when they asked (SPEC §12): their comment is approved, or it
has an approved answer; and the one-click way to stop it.

In: comments just approved (the moderators' actions, an auto-approved post). Out: Notice rows, queued in
the caller's transaction and sent by blog/comments/outbox.py after the commit; at sending time the
message is composed from the comments as they are then, so an unsubscribe in between is honoured.
"""

from collections.abc import Iterable
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, request, url_for

from blog.comments.signing import Purpose, matches, signed_id, signed_id_of
from blog.core import mail, sanitize
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus, utcnow
from blog.core.records import MailOptOut, Notice, NoticeKind

QUEUED = "notices_queued"  # in a Session's info: the outbox is woken after that session commits


def _base_url() -> str | None:
    """The site's address for the links in a notice: the request's, as the reader and moderator reach it."""
    if has_request_context():
        return request.url_root
    server = current_app.config.get("SERVER_NAME")
    return f"{current_app.config.get('PREFERRED_URL_SCHEME', 'https')}://{server}/" if server else None


def queue_approved(comments: Iterable[Comment]) -> int:
    """Queue, in the session's transaction, the notices these newly approved comments call for.

    The author of each gets one approval notice if they asked for it; the author of each one's parent,
    one reply notice if they asked to hear of replies. Each is queued once per comment ever, so
    approving, unapproving and approving again tells nobody twice. Returns how many were queued.
    """
    base_url = _base_url()
    if not mail.configured(current_app.config) or base_url is None:
        return 0
    wanted = []
    for comment in comments:
        if comment.notify_approved and comment.moderator_id is None:
            wanted.append((NoticeKind.APPROVED, comment.id))
        if comment.parent_id is not None and comment.parent is not None and comment.parent.notify_replies:
            wanted.append((NoticeKind.REPLY, comment.id))
    if not wanted:
        return 0
    already = {
        (kind, cid)
        for kind, cid in db.session.execute(
            sa.select(Notice.kind, Notice.comment_id).where(Notice.comment_id.in_({cid for _, cid in wanted}))
        )
    }
    new = [Notice(kind=kind, comment_id=cid, base_url=base_url) for kind, cid in wanted if (kind, cid) not in already]
    db.session.add_all(new)
    if new:
        db.session.info[QUEUED] = True
    return len(new)


def queue_reply_on(connection, comment_id: int) -> bool:
    """Queue the reply notice of a comment approved as it was posted, on the post's own connection.

    Whether the parent's author asked for it is decided when it is sent, so the post asks nothing more.
    """
    base_url = _base_url()
    if not mail.configured(current_app.config) or base_url is None:
        return False
    now = utcnow()
    connection.execute(
        sa.insert(Notice.__table__).values(
            kind=NoticeKind.REPLY,
            comment_id=comment_id,
            base_url=base_url,
            created_at=now,
            due_at=now,
            attempts=0,
            last_error="",
        )
    )
    return True


def unsubscribe_token(comment: Comment) -> str:
    """Return the token of the unsubscribe link for the author of ``comment`` (their own comment).

    Bound to the comment and its author's email key: it never expires, and it stops nothing for anyone else.
    """
    return signed_id(Purpose.UNSUBSCRIBE, comment.id, comment.author_email_key)


def comment_of_token(token: str) -> Comment | None:
    """Return the comment an unsubscribe token was made for, or None if it is not one of ours."""
    parsed = signed_id_of(token)
    if parsed is None:
        return None
    comment = db.session.get(Comment, parsed[0])
    if comment is None or not comment.author_email_key:
        return None
    if not matches(Purpose.UNSUBSCRIBE, f"{comment.id}|{comment.author_email_key}", parsed[1]):
        return None
    return comment


def opted_out(email_key: str) -> bool:
    return db.session.get(MailOptOut, email_key) is not None


def unsubscribe(comment: Comment, *, everything: bool) -> None:
    """Stop the notices of this comment (its approval, answers to it), or, with ``everything``, every
    notice of the site to its author's address; and commit."""
    comment.notify_approved = False
    comment.notify_replies = False
    if everything and not opted_out(comment.author_email_key):
        db.session.add(MailOptOut(email_key=comment.author_email_key))
    db.session.commit()


def _recipient_and_subject(notice: Notice) -> tuple[Comment, Comment, str] | None:
    """Return (the recipient's own comment, the comment the notice is about, the subject), or None when
    nothing is to be sent (any more): not asked for, unsubscribed, not approved, the author's own reply."""
    about = notice.comment if notice.comment_id is not None else None
    if about is None or about.status is not CommentStatus.APPROVED:
        return None
    title = " ".join(about.article.title.split())
    site = current_app.config["SITE_NAME"]
    if notice.kind is NoticeKind.APPROVED:
        own, subject = about, f"[{site}] Your comment on “{title}” is approved"
        if not own.notify_approved:
            return None
    else:
        own, subject = about.parent, f"[{site}] A reply to your comment on “{title}”"
        if own is None or not own.notify_replies or own.status is not CommentStatus.APPROVED:
            return None
        if own.author_email_key == about.author_email_key:  # nobody is told of their own answer
            return None
    if not own.author_email or opted_out(own.author_email_key):
        return None
    return own, about, subject


def compose(notice: Notice) -> EmailMessage | None:
    """Compose a queued notice as it stands now, or return None if it is no longer to be sent.

    Call it inside a request context for the notice's base URL (the outbox makes one). The message names
    no address but its recipient's.
    """
    found = _recipient_and_subject(notice)
    if found is None:
        return None
    own, about, subject = found
    config = current_app.config
    unsubscribe_url = url_for("comments.unsubscribe", token=unsubscribe_token(own), _external=True)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = own.author_email
    message["Auto-Submitted"] = "auto-generated"
    # RFC 2369 and RFC 8058: mail programs offer their own Unsubscribe, which POSTs to the URL.
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(
        render_template(
            "comments/notice_email.txt",
            kind=notice.kind.value,
            own=own,
            about=about,
            text=sanitize.plain_text(about.html),
            article=about.article,
            comment_url=url_for("pages.article", slug=about.article.slug, _external=True) + f"#comment-{about.id}",
            unsubscribe_url=unsubscribe_url,
        )
    )
    return message
