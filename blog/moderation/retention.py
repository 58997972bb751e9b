"""Keep spam and trash only as long as RETENTION_DAYS (WordPress empties its trash after 30 days), and the
IP address and user agent of an approved comment only as long as IP_RETENTION_DAYS (SPEC §10)."""

import ipaddress
import time
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus, ModerationEvent, SiteState, utcnow
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


def truncated_ip(ip: str) -> str:
    """Return the network an address belongs to, as Isso keeps it: IPv4 to /24, IPv6 to /48; "" if not an IP."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def forget_addresses(now: datetime | None = None) -> int:
    """Cut short the IP and drop the user agent of approved comments older than IP_RETENTION_DAYS; return
    how many changed. Spam and trash keep theirs (they help against the next attack) until purged."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["IP_RETENTION_DAYS"])
    begin_write()
    rows = db.session.execute(
        sa.select(Comment.id, Comment.author_ip, Comment.user_agent).where(
            Comment.status == CommentStatus.APPROVED,
            Comment.created_at < cutoff,
            sa.or_(Comment.author_ip != "", Comment.user_agent != ""),
        )
    ).all()
    changes = [
        {"row_id": row.id, "ip": truncated_ip(row.author_ip)}
        for row in rows
        if row.user_agent or truncated_ip(row.author_ip) != row.author_ip
    ]
    if changes:
        table = Comment.__table__
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("row_id"))
            .values(author_ip=sa.bindparam("ip"), user_agent=""),
            changes,
        )
    db.session.commit()
    return len(changes)


@comments_cli.command("purge")
def purge_command():
    """Delete spam and trash older than RETENTION_DAYS (default 30); cut short the IP addresses of approved
    comments older than IP_RETENTION_DAYS (default 60)."""
    count = purge()
    days = current_app.config["RETENTION_DAYS"]
    click.echo(f"Deleted {count} spam and trash comment{'' if count == 1 else 's'} older than {days} days.")
    count = forget_addresses()
    days = current_app.config["IP_RETENTION_DAYS"]
    click.echo(
        f"Cut short the IP address of {count} approved comment{'' if count == 1 else 's'} older than {days} days."
    )


PURGED_AT = "purged_at"  # its row in site_state: when the served site last ran the purge
PURGE_EVERY = timedelta(days=1)
CHECK_EVERY_SECONDS = 3600  # how often each worker asks the database whether the purge is due


def purge_if_due(now: datetime | None = None) -> bool:
    """Run the purge when the site has not run it for a day; return whether this call ran it.

    Every worker of every machine may ask: the one that moves ``purged_at`` on runs it, the others see the
    new time (one write transaction decides).
    """
    now = now or utcnow()
    begin_write()
    last = db.session.get(SiteState, PURGED_AT)
    if last is not None and datetime.fromisoformat(last.value) > now - PURGE_EVERY:
        db.session.rollback()
        return False
    if last is None:
        db.session.add(SiteState(name=PURGED_AT, value=now.isoformat()))
    else:
        last.value = now.isoformat()
    db.session.commit()
    purge(now)
    forget_addresses(now)
    return True


def _purge_after_response(app, response):
    # After the response is sent, at most once an hour per worker: the reader who happens to come by never waits.
    state = app.extensions["blog.retention"]
    if time.monotonic() < state["next_check"]:
        return response
    state["next_check"] = time.monotonic() + CHECK_EVERY_SECONDS

    def run():
        try:
            with app.app_context():
                purge_if_due()
        except Exception:  # the database is down or busy: the next check tries again
            app.logger.exception("the daily purge did not run")

    response.call_on_close(run)
    return response


def init_app(app):
    app.cli.add_command(comments_cli)
    # The first check an hour after start-up, not at once: a server just started (or a tool beside it,
    # seeding the database) is spared a purge's write lock, and a restart does not purge by itself.
    app.extensions["blog.retention"] = {"next_check": time.monotonic() + CHECK_EVERY_SECONDS}
    if not app.testing:  # the served site; the tests run the purge when they mean to
        app.after_request(lambda response: _purge_after_response(app, response))
