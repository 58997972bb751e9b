"""Send the queued notices (blog/comments/notices.py) from a thread of each worker, after the commit.

A notice is a row until the SMTP server has taken it: when the server is down the row waits and is tried
again with back-off (10 s, doubling, at most an hour apart), so nothing is lost and no page waits. Each
attempt first claims the row for a while, so two workers never send one notice twice.
"""

import logging
import threading
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event

from blog.comments import notices
from blog.core import mail
from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import utcnow
from blog.core.records import Notice

log = logging.getLogger(__name__)

RETRY_SECONDS = 10.0  # the first wait after a failure; each further failure doubles it
MAX_RETRY_SECONDS = 3600.0
MAX_ATTEMPTS = 200  # about a week of hourly attempts; then the row is kept, unsent, with its last error
CLAIM_SECONDS = 300  # longer than any one SMTP conversation (MAIL_TIMEOUT is at most 300 s)
BATCH = 50

_lock = threading.Lock()


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure."""
    return timedelta(seconds=min(RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS))


def _unsent(now: datetime):
    return sa.and_(
        Notice.sent_at.is_(None),
        Notice.attempts < MAX_ATTEMPTS,
        sa.or_(Notice.claimed_until.is_(None), Notice.claimed_until < now),
    )


def _claim(notice_id: int, now: datetime) -> bool:
    begin_write()
    claimed = db.session.execute(
        sa.update(Notice)
        .where(Notice.id == notice_id, _unsent(now), Notice.due_at <= now)
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    ).rowcount
    db.session.commit()
    return claimed == 1


def _attempt(notice_id: int, settings: dict) -> None:
    """Compose, send and record one claimed notice."""
    notice = db.session.get(Notice, notice_id)
    attempts = notice.attempts + 1
    try:
        with current_app.test_request_context(base_url=notice.base_url):  # url_for() gives the site's own URLs
            message = notices.compose(db.session.get(Notice, notice_id))
        if message is not None:
            mail.deliver(message, settings)
    except Exception as error:  # any failure is retried later; the row keeps why
        log.warning("could not send notice %s (attempt %s): %s", notice_id, attempts, error)
        now = utcnow()
        outcome = {"attempts": attempts, "due_at": now + backoff(attempts), "last_error": str(error)[:500] or "failed"}
    else:
        reason = "" if message is not None else "not sent: no longer asked for"
        outcome = {"attempts": attempts, "sent_at": utcnow(), "last_error": reason}
    db.session.rollback()
    begin_write()
    db.session.execute(sa.update(Notice).where(Notice.id == notice_id).values(claimed_until=None, **outcome))
    db.session.commit()


def deliver_due(now: datetime | None = None) -> float | None:
    """Send every notice that is due; return the seconds until the next one is, or None if none waits.

    Runs in an app context (the outbox thread's, or a test's).
    """
    now = now or utcnow()
    settings = mail.smtp_settings(current_app.config)
    due = db.session.scalars(
        sa.select(Notice.id).where(_unsent(now), Notice.due_at <= now).order_by(Notice.id).limit(BATCH)
    ).all()
    db.session.rollback()
    for notice_id in due:
        if _claim(notice_id, now):
            _attempt(notice_id, settings)
    later = db.session.scalar(sa.select(sa.func.min(Notice.due_at)).where(_unsent(utcnow())))
    db.session.rollback()
    if later is None:
        return None
    return max(0.0, (later - utcnow()).total_seconds())


def _run(app, state: dict) -> None:
    while True:
        state["wake"].clear()
        try:
            with app.app_context():
                wait = deliver_due()
        except Exception:  # the database is gone or down: stop; the next commit that queues starts again
            log.exception("the notice outbox stopped")
            with _lock:
                state["thread"] = None
            return
        if wait is None:
            with _lock:
                if not state["wake"].is_set():
                    state["thread"] = None
                    return
            continue
        state["wake"].wait(min(wait, MAX_RETRY_SECONDS))


def kick(app=None) -> threading.Thread | None:
    """Wake this worker's outbox thread (starting it if it is not running); return it, or None when the
    blog sends no mail. The thread ends once nothing is left to send or retry."""
    app = app or current_app._get_current_object()
    if not mail.configured(app.config):
        return None
    with _lock:
        state = app.extensions.setdefault("outbox", {"wake": threading.Event(), "thread": None})
        state["wake"].set()
        thread = state["thread"]
        if thread is None or not thread.is_alive():
            thread = state["thread"] = threading.Thread(target=_run, args=(app, state), name="outbox", daemon=True)
            thread.start()
        return thread


def _after_commit(session):
    if session.info.pop(notices.QUEUED, False):
        kick()


def init_app(app):
    """Wake the outbox whenever a session commits notices, and at a worker's first request, for any
    that a previous run left unsent."""
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)

    @app.before_request
    def _first_request():
        if not app.extensions.get("outbox"):
            kick(app)
