"""Keep spam and trash only as long as RETENTION_DAYS (WordPress empties its trash after 30 days)."""

from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus, ModerationEvent, utcnow
from blog.moderation.actions import delete_comment
from blog.reading.versions import touch_article

comments_cli = AppGroup("comments", help="Look after the stored comments.")


def purge(now: datetime | None = None) -> int:
    """Delete spam and trash that has been there longer than RETENTION_DAYS; return how many.

    The age counts from when the comment went to spam or trash (its last moderation event there), or
    from its arrival when it came in as spam or trash.
    """
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["RETENTION_DAYS"])
    moved_at = (
        sa.select(sa.func.max(ModerationEvent.created_at))
        .where(ModerationEvent.comment_id == Comment.id, ModerationEvent.to_status == Comment.status)
        .scalar_subquery()
    )
    begin_write()
    expired = db.session.scalars(
        sa.select(Comment)
        .where(
            Comment.status.in_([CommentStatus.SPAM, CommentStatus.TRASH]),
            sa.func.coalesce(moved_at, Comment.created_at) < cutoff,
        )
        .order_by(Comment.id)
    ).all()
    articles = {c.article_id for c in expired}
    ids = [c.id for c in expired]
    # Their audit records go too: what is kept is limited in time, and the records name the commenter.
    db.session.execute(sa.delete(ModerationEvent).where(ModerationEvent.comment_id.in_(ids)))
    for comment in expired:
        delete_comment(comment)
    for article_id in sorted(articles):
        touch_article(article_id)
    db.session.commit()
    return len(ids)


@comments_cli.command("purge")
def purge_command():
    """Delete spam and trash older than RETENTION_DAYS (default 30)."""
    count = purge()
    days = current_app.config["RETENTION_DAYS"]
    click.echo(f"Deleted {count} spam and trash comment{'' if count == 1 else 's'} older than {days} days.")


def init_app(app):
    app.cli.add_command(comments_cli)
