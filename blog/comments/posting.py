"""The post service: a validated Leave a Reply form becomes a stored comment with its decision (SPEC §4).

In: the form and the sender's address. Out: the stored comment and the page that shows it, or Refused
with the message the reader sees. Sends comment_posted once the comment is committed.
"""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import abort, current_app
from flask.signals import Namespace
from sqlalchemy.orm.attributes import set_committed_value

from blog.comments import notices, outbox, threads
from blog.comments import rules as moderation
from blog.comments.form import MODERATOR_NAME, CommentForm
from blog.core import keys, normalise
from blog.core.database import end_transaction
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, Moderator, utcnow
from blog.reading import versions
from blog.spam import store as spam_filter

CLOSED = "Sorry, comments are closed for this item."
REPLY_UNAPPROVED = "Sorry, replies to unapproved comments are not allowed."
DUPLICATE = "Duplicate comment detected; it looks as though you’ve already said that!"
FLOOD = "You are posting comments too quickly. Slow down."
TOKEN_EXPIRED = "Your session expired. Please submit your comment again."
CROSS_SITE = (
    "This comment was sent to us from another website, so it was not posted. "
    "If you wrote it, check it below and post it again from here."
)
UNAVAILABLE = "We could not save your comment just now. Your text is below; please try again in a moment."

_ID = re.compile(r"[0-9]{1,10}")
_MAX_ID = 2**31 - 1

# Sent after a comment is stored and committed; the moderators' notification listens (blog/moderation/notices.py).
signals = Namespace()
comment_posted = signals.signal("comment-posted")


def comment_id(value) -> int | None:
    """Return ``value`` as a comment id if it reads as one (a few digits, in range), else None."""
    value = str(value or "").strip()
    if not _ID.fullmatch(value) or int(value) > _MAX_ID:
        return None
    return int(value)


class Refused(Exception):
    """The comment cannot be taken; the reader sees the article again with this message."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None, reset_parent: bool = False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.reset_parent = reset_parent


def check_open(article: Article, now: datetime | None = None) -> None:
    """:raise Refused: 403 when the article takes no more comments."""
    if moderation.comments_closed(article, current_app.config, now or utcnow()):
        raise Refused(403, CLOSED)


# The post path is the one write a reader can repeat hundreds of times a second, so its statements
# are built once, here (SQLAlchemy finds each compiled in its cache), and run on the connection with
# Core rather than through the ORM's unit of work. Reads of a whole article or thread stay ORM.
_articles, _comments = Article.__table__, Comment.__table__
_ARTICLE = sa.select(
    _articles.c.id,
    _articles.c.slug,
    _articles.c.title,
    _articles.c.status,
    _articles.c.published_at,
    _articles.c.comments_open,
).where(_articles.c.slug == sa.bindparam("slug"))
# One poster at a time per article on PostgreSQL too, so two copies of a comment sent at once cannot
# both pass the duplicate check (SQLite is already serialised by BEGIN IMMEDIATE).
_ARTICLE_LOCKED = _ARTICLE.with_for_update()
# The flood and duplicate rules look across articles (one address, one email), which the article's row
# lock does not cover: on PostgreSQL the post also takes a transaction-scoped advisory lock on its
# address and one on its email (in two key spaces, always in this order), so two posts that share either
# are decided one after the other. One statement; the locks end with the transaction.
_SENDER_LOCK = sa.text("SELECT pg_advisory_xact_lock(1, hashtext(:ip)), pg_advisory_xact_lock(2, hashtext(:email_key))")
_MODERATOR_NAMES = sa.select(Moderator.__table__.c.username)
_PARENT = sa.select(_comments.c.id).where(
    _comments.c.id == sa.bindparam("parent_id"), threads.approved_of(sa.bindparam("article_id"))
)


def _rules_statement(top_level: bool) -> sa.Select:
    """One query for the duplicate and flood rules: whether this comment was already made, and when
    this address and this email last commented."""
    c = _comments.c
    # WordPress's duplicate rule: same article and parent, same words, same name or email, not in the
    # trash. Words and email are compared in their normalised forms (blog/core/normalise.py), so that
    # letter case, doubled spaces or invisible characters do not make a copy new. The
    # (article_id, text_fingerprint) index finds the few comments with these words.
    same_parent = c.parent_id.is_(None) if top_level else c.parent_id == sa.bindparam("parent_id")
    duplicate = sa.exists().where(
        c.article_id == sa.bindparam("article_id"),
        c.text_fingerprint == sa.bindparam("fingerprint"),
        same_parent,
        c.status != CommentStatus.TRASH,
        sa.or_(c.author_email_key == sa.bindparam("email_key"), c.author_name == sa.bindparam("author")),
    )

    # The flood rule: two index lookups (ix_comment_ip_created_status, ix_comment_email_key_created_status),
    # not one OR.
    def latest(column, name):
        return sa.select(sa.func.max(c.created_at)).where(column == sa.bindparam(name)).scalar_subquery()

    return sa.select(
        duplicate.label("duplicate"),
        latest(c.author_ip, "ip").label("latest_from_ip"),
        latest(c.author_email_key, "email_key").label("latest_from_email"),
    )


_RULES = {True: _rules_statement(True), False: _rules_statement(False)}
# Auto-approval asks for the address exactly as stored (a local part in other letter case may be
# someone else): the blind index finds the approved comments of the address in any case, and their
# emails, decrypted, are compared as typed. A few suffice: one person rarely writes an address many ways.
_APPROVED_BEFORE = (
    sa.select(_comments.c.author_email)
    .where(_comments.c.author_email_key == sa.bindparam("email_key"), _comments.c.status == CommentStatus.APPROVED)
    .limit(20)
)
_INSERT = sa.insert(_comments)


def find_article(connection, slug: str, *, lock: bool = False) -> Article | None:
    """Return the published article with this slug as the post path needs it (no body), or None.

    The article is not attached to the session; the pages that show it load it whole.
    """
    statement = _ARTICLE_LOCKED if lock and connection.dialect.name != "sqlite" else _ARTICLE
    row = connection.execute(statement, {"slug": slug}).one_or_none()
    if row is None:
        return None
    article = Article(**row._mapping)
    return article if article.is_public() else None


@dataclass
class Posted:
    """What post_comment stored, and where the comment is shown."""

    article: Article
    comment: Comment  # as stored, not attached to the session
    page: int | None  # the comment page that shows it, once approved


def post_comment(slug: str, form: CommentForm, *, ip: str, user_agent: str) -> Posted:
    """Clean, check, decide and store a validated comment, and commit it.

    It runs on a connection of its own rather than the request's Session, in two steps. First, reading
    only, whatever a post sent at the same moment cannot make wrong: the article, the names moderators
    hold, the spam filter's verdict and every moderation rule (``_judge``). Then one short write
    transaction (``BEGIN IMMEDIATE`` on SQLite, which every other writer waits for) in which the article
    and the parent are checked again, the duplicate and flood rules run and the comment is inserted.

    :raise NotFound: no such public article.
    :raise Refused: closed (403), a parent that is not allowed (403), a moderator's name (422), duplicate
        (409), flood (429).
    """
    end_transaction()  # so that what the request reads afterwards (the moderators' notice) sees the comment
    with db.engine.connect() as connection:
        with connection.begin():
            judged = _judge(connection, slug, form, ip, user_agent)
        with connection.execution_options(write=True).begin():
            article, values = _decide(connection, slug, form, judged)
            comment = _as_stored(connection.execute(_INSERT, values).inserted_primary_key[0], values)
            page = None
            queued = False
            if comment.status is CommentStatus.APPROVED:
                versions.bump(connection, [article.id])
                per_page = current_app.config["COMMENTS_PER_PAGE"]
                page = threads.thread_page(connection, article.id, comment.id, per_page)  # it sees its own insert
                if comment.parent_id is not None:
                    queued = notices.queue_reply_on(connection, comment.id)
    if queued:
        outbox.kick()
    comment_posted.send(current_app._get_current_object(), comment=comment)
    return Posted(article, comment, page)


def _public_article(connection, slug: str, now: datetime, *, lock: bool = False) -> Article:
    """:raise NotFound: no such public article. :raise Refused: it takes no more comments."""
    article = find_article(connection, slug, lock=lock)
    if article is None:
        abort(404)
    check_open(article, now)
    return article


def _judge(connection, slug: str, form: CommentForm, ip: str, user_agent: str) -> dict:
    """Decide what becomes of the comment, before any lock is taken; return the row to insert, but for
    its place (the parent) and its time, which the write transaction sets."""
    now = utcnow()
    article = _public_article(connection, slug, now)
    text, html = form.comment.data, form.comment.html  # normalised and cleaned once, by the form
    author, email, url = form.author.data, form.normalized_email, form.normalized_url
    _check_not_a_moderator(connection, form)
    ip, user_agent = (ip or "")[:45], (user_agent or "")[:255]
    email_key, shape = keys.email_index(email), normalise.text_shape(text)
    example = spam_filter.Example(text, html, author, url, shape, article.id, ip, email_key, now)
    status, reasons, spam = judge(connection, example, email, user_agent, honeypot=form.phone.data or "")
    return dict(
        article_id=article.id,
        author_name=author,
        author_email=email,
        author_email_key=email_key,
        author_url=url,
        author_ip=ip,
        user_agent=user_agent,
        raw_text=text,
        text_fingerprint=normalise.text_fingerprint(text),
        text_shape=shape,
        spam_score=spam.score,
        html=html,
        status=status,
        reasons=reasons,
        notify_approved=bool(form.notify_approved.data),
        notify_replies=bool(form.subscribe.data),
    )


def _decide(connection, slug: str, form: CommentForm, judged: dict) -> tuple[Article, dict]:
    """Under the write lock: check the article and the parent again and run the duplicate and flood rules;
    return the article and the row to insert."""
    now = utcnow()
    article = _public_article(connection, slug, now, lock=True)
    if article.id != judged["article_id"]:  # the slug moved to another article in between
        abort(404)
    parent_id = _allowed_parent(connection, article, form.comment_parent.data)
    ip, email_key = judged["author_ip"], judged["author_email_key"]
    if connection.dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises every post
        connection.execute(_SENDER_LOCK, {"ip": ip, "email_key": email_key})
    facts = connection.execute(
        _RULES[parent_id is None],
        {
            "article_id": article.id,
            "parent_id": parent_id,
            "email_key": email_key,
            "author": judged["author_name"],
            "fingerprint": judged["text_fingerprint"],
            "ip": ip,
        },
    ).one()
    if facts.duplicate:
        raise Refused(409, DUPLICATE)
    latest = [facts.latest_from_ip if ip else None, facts.latest_from_email if judged["author_email"] else None]
    wait = _flood_wait(latest, now, current_app.config["COMMENT_FLOOD_SECONDS"])
    if wait:
        raise Refused(429, flood_message(wait), retry_after=wait)
    approved = judged["status"] is CommentStatus.APPROVED
    return article, {**judged, "parent_id": parent_id, "created_at": now, "approved_at": now if approved else None}


def judge(
    connection, example: spam_filter.Example, email: str, user_agent: str, honeypot: str = ""
) -> tuple[CommentStatus, list[str], spam_filter.model.Verdict]:
    """Score a comment with the spam filter, then run every moderation rule on it: the one decision for
    a new comment and for an author's edit. Return its status, the reasons, and the filter's verdict."""
    config = current_app.config
    spam = spam_filter.judge(connection, example)
    candidate = moderation.Candidate(
        text=example.text,
        html=example.html,
        author=example.author,
        email=email,
        url=example.url,
        ip=example.ip,
        user_agent=user_agent,
        honeypot=honeypot,
        previously_approved=config.get("COMMENT_MODERATION") == "previously-approved"
        and approved_before(connection, email, example.email_key),
        spam=spam,
    )
    status, reasons = moderation.decide(candidate, config)
    return status, reasons, spam


def approved_before(connection, email: str, email_key: str | None = None) -> bool:
    """Whether this address (exactly as typed before) has an approved comment: `previously-approved` lets
    it through. Emails are encrypted: the blind index finds the candidates, the decrypted ones compare."""
    key = email_key if email_key is not None else keys.email_index(email)
    return email in connection.execute(_APPROVED_BEFORE, {"email_key": key}).scalars().all()


# Comment's validators derive these columns' keys, which _decide has computed for the insert already.
_DERIVED_FROM = ("raw_text", "author_email")


def _as_stored(comment_id: int, values: dict) -> Comment:
    """Return the inserted row as a Comment (not in any session), without deriving its keys again."""
    comment = Comment(id=comment_id, **{k: v for k, v in values.items() if k not in _DERIVED_FROM})
    for key in _DERIVED_FROM:
        set_committed_value(comment, key, values[key])
    return comment


def _check_not_a_moderator(connection, form: CommentForm) -> None:
    """Refuse a name that reads as a moderator's (replies from the admin carry their names).

    :raise Refused: 422, with the message beside the name field.
    """
    skeleton = normalise.name_skeleton(form.author.data)
    if skeleton and any(
        normalise.name_skeleton(name) == skeleton for name in connection.execute(_MODERATOR_NAMES).scalars()
    ):
        form.author.errors.append(MODERATOR_NAME)
        raise Refused(422, "")


def _allowed_parent(connection, article: Article, value: str | None) -> int | None:
    if (value or "").strip() in ("", "0"):
        return None
    wanted = comment_id(value)
    if wanted is None:
        raise Refused(403, REPLY_UNAPPROVED, reset_parent=True)
    parent = connection.execute(_PARENT, {"parent_id": wanted, "article_id": article.id}).scalar()
    if parent is None:
        raise Refused(403, REPLY_UNAPPROVED, reset_parent=True)
    return parent


def flood_message(wait: int) -> str:
    """Return SPEC's flood message with how many seconds the reader must still wait."""
    return f"{FLOOD} Try again in {wait} second{'' if wait == 1 else 's'}."


def _flood_wait(latest: list[datetime | None], now: datetime, seconds: int) -> int:
    """Return how many seconds must still pass since the latest of these comments (from this address or
    this email), from the database so that all workers agree."""
    if seconds <= 0:
        return 0
    latest = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in latest if t is not None]
    if not latest:
        return 0
    remaining = seconds - (now - max(latest)).total_seconds()
    return max(1, math.ceil(remaining)) if remaining > 0 else 0
