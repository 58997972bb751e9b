"""Email the moderators about each held comment (SPEC §6), without ever holding up the comment.

The comment is committed before anything here runs; the email goes out from a background thread with a
timeout, so a slow or dead mail server costs the commenter nothing and loses nothing but the email.
"""

import logging
import threading
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, render_template, url_for

from blog.comments.posting import comment_posted
from blog.core import mail
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus

log = logging.getLogger(__name__)


def enabled(config) -> bool:
    """Whether held comments are announced: a mail server, a sender and moderators to tell (settings.py
    has parsed MODERATOR_EMAILS into a tuple of addresses)."""
    return mail.configured(config) and bool(config.get("MODERATOR_EMAILS"))


def _external(endpoint: str, **values) -> str:
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:  # outside a request and without SERVER_NAME there is no address to give
        return ""


def held_message(comment: Comment) -> EmailMessage:
    """Compose the notice for one held comment, as WordPress's "Please moderate" email."""
    config = current_app.config
    article = comment.article
    message = EmailMessage()
    title = " ".join(article.title.split())  # no line breaks in a header
    message["Subject"] = f"[{config['SITE_NAME']}] Please moderate: “{title}”"
    message["From"] = config["MAIL_FROM"]
    message["To"] = ", ".join(config["MODERATOR_EMAILS"])
    pending = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(Comment.status == CommentStatus.PENDING))
    message.set_content(
        render_template(
            "admin/held_email.txt",
            comment=comment,
            article=article,
            pending=pending,
            article_url=_external("pages.article", slug=article.slug),
            queue_url=_external("admin.comments", status="pending"),
            edit_url=_external("admin.edit", comment_id=comment.id),
        )
    )
    return message


def send(message: EmailMessage, config: dict) -> None:
    """Hand one message to the SMTP server, logging (never raising) a failure."""
    try:
        mail.deliver(message, config)
    except Exception:  # a notice is not worth a crash: any failure is logged and dropped
        log.exception("could not email the moderators about a held comment (%s)", message["Subject"])


def notify_held(comment_id: int) -> threading.Thread | None:
    """Email the moderators about a held comment, in the background; call it after the commit.

    Does nothing unless MAIL_SERVER, MAIL_FROM and MODERATOR_EMAILS are set, or the comment is not
    pending. Returns the sending thread (tests join it), or None when nothing is sent.
    """
    config = current_app.config
    if not enabled(config):
        return None
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status is not CommentStatus.PENDING:
        return None
    try:
        message = held_message(comment)
    except Exception:
        log.exception("could not compose the held-comment email for comment %s", comment_id)
        return None
    settings = mail.smtp_settings(config)
    thread = threading.Thread(target=send, args=(message, settings), name=f"notify-held-{comment_id}", daemon=True)
    thread.start()
    return thread


def _on_comment_posted(app, comment):
    if comment.status is CommentStatus.PENDING:
        notify_held(comment.id)


def init_app(app):
    """Announce every held comment the public form stores (the form sends the signal after commit)."""
    comment_posted.connect(_on_comment_posted, app)
