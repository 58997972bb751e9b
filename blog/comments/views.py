"""The Leave a Reply form: post a comment, and the comments section of the article page (SPEC §3, §4)."""

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for
from flask.signals import Namespace
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import load_only

from blog.comments import avatars, csrf, threads
from blog.comments import rules as moderation
from blog.comments.form import MODERATOR_NAME, CommentForm
from blog.core import normalise, sanitize
from blog.core.database import end_transaction
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, Moderator, utcnow
from blog.reading import versions as versioning

bp = Blueprint("comments", __name__)

CLOSED = "Sorry, comments are closed for this item."
REPLY_UNAPPROVED = "Sorry, replies to unapproved comments are not allowed."
DUPLICATE = "Duplicate comment detected; it looks as though you’ve already said that!"
FLOOD = "You are posting comments too quickly. Slow down."
TOKEN_EXPIRED = "Your session expired. Please submit your comment again."
UNAVAILABLE = "We could not save your comment just now. Your text is below; please try again in a moment."

AUTHOR_COOKIE = "comment_author"
AUTHOR_COOKIE_MAX_AGE = 365 * 24 * 3600
_ID = re.compile(r"[0-9]{1,10}")
_MAX_ID = 2**31 - 1

# Sent after a comment is stored and committed; the moderators' notification listens (blog/notify.py).
signals = Namespace()
comment_posted = signals.signal("comment-posted")


# --- posting ---------------------------------------------------------------------------------------


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
    _comments.c.id == sa.bindparam("parent_id"),
    _comments.c.article_id == sa.bindparam("article_id"),
    _comments.c.status == CommentStatus.APPROVED,
)


def _rules_statement(top_level: bool) -> sa.Select:
    """One query for the duplicate and flood rules: whether this comment was already made, and when
    this address and this email last commented."""
    c = _comments.c
    # WordPress's duplicate rule: same article and parent, same words, same name or email, not in the
    # trash. Words and email are compared in their normalised forms (blog/normalise.py), so that
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

    # The flood rule: two index lookups (ix_comment_ip_created, ix_comment_email_key_created), not one OR.
    def latest(column, name):
        return sa.select(sa.func.max(c.created_at)).where(column == sa.bindparam(name)).scalar_subquery()

    return sa.select(
        duplicate.label("duplicate"),
        latest(c.author_ip, "ip").label("latest_from_ip"),
        latest(c.author_email_key, "email_key").label("latest_from_email"),
    )


_RULES = {True: _rules_statement(True), False: _rules_statement(False)}
# Auto-approval asks for the address exactly as stored (a local part in other letter case may be
# someone else); the lower-cased key only finds it through its index.
_APPROVED_BEFORE = (
    sa.select(_comments.c.id)
    .where(
        _comments.c.author_email_key == sa.bindparam("email_key"),
        _comments.c.author_email == sa.bindparam("email"),
        _comments.c.status == CommentStatus.APPROVED,
    )
    .limit(1)
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

    It runs on a connection of its own rather than the request's Session: one write transaction
    (``BEGIN IMMEDIATE`` on SQLite) in which every decision is taken and the comment inserted.

    :raise NotFound: no such public article.
    :raise Refused: closed (403), a parent that is not allowed (403), duplicate (409), flood (429).
    """
    end_transaction()  # so that what the request reads afterwards (the moderators' notice) sees the comment
    with db.engine.connect() as connection, connection.execution_options(write=True).begin():
        article, values = _decide(connection, slug, form, ip, user_agent)
        comment = Comment(id=connection.execute(_INSERT, values).inserted_primary_key[0], **values)
        page = None
        if comment.status is CommentStatus.APPROVED:
            versioning.bump(connection, [article.id])
            page = thread_page(connection, article.id, comment)  # it sees its own insert
    comment_posted.send(current_app._get_current_object(), comment=comment)
    return Posted(article, comment, page)


def _decide(connection, slug: str, form: CommentForm, ip: str, user_agent: str) -> tuple[Article, dict]:
    """Check the comment against the article and the rules; return the article and the row to insert."""
    article = find_article(connection, slug, lock=True)
    if article is None:
        abort(404)
    now = utcnow()
    config = current_app.config
    check_open(article, now)
    parent_id = _allowed_parent(connection, article, form.comment_parent.data)

    text = sanitize.normalise_text(form.comment.data)
    author, email, url = form.author.data, form.normalized_email, form.normalized_url
    _check_not_a_moderator(connection, form)
    ip, user_agent = (ip or "")[:45], (user_agent or "")[:255]
    fingerprint, email_key = normalise.text_fingerprint(text), normalise.email_key(email)
    if connection.dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises every post
        connection.execute(_SENDER_LOCK, {"ip": ip, "email_key": email_key})
    facts = connection.execute(
        _RULES[parent_id is None],
        {
            "article_id": article.id,
            "parent_id": parent_id,
            "email_key": email_key,
            "author": author,
            "fingerprint": fingerprint,
            "ip": ip,
        },
    ).one()
    if facts.duplicate:
        raise Refused(409, DUPLICATE)
    latest = [facts.latest_from_ip if ip else None, facts.latest_from_email if email else None]
    wait = _flood_wait(latest, now, int(config.get("COMMENT_FLOOD_SECONDS") or 0))
    if wait:
        raise Refused(429, FLOOD, retry_after=wait)

    candidate = moderation.Candidate(
        text=text,
        author=author,
        email=email,
        url=url,
        ip=ip,
        user_agent=user_agent,
        honeypot=form.phone.data or "",
        previously_approved=config.get("COMMENT_MODERATION") == "previously-approved"
        and connection.execute(_APPROVED_BEFORE, {"email_key": email_key, "email": email}).first() is not None,
    )
    status, reasons = moderation.decide(candidate, config)
    return article, dict(
        article_id=article.id,
        parent_id=parent_id,
        author_name=author,
        author_email=email,
        author_email_key=email_key,
        author_url=url,
        author_ip=ip,
        user_agent=user_agent,
        raw_text=text,
        text_fingerprint=fingerprint,
        html=sanitize.clean_comment(text),
        status=status,
        reasons=reasons,
        created_at=now,
        approved_at=now if status is CommentStatus.APPROVED else None,
    )


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
    value = (value or "").strip()
    if value in ("", "0"):
        return None
    if not _ID.fullmatch(value) or int(value) > _MAX_ID:
        raise Refused(403, REPLY_UNAPPROVED, reset_parent=True)
    parent = connection.execute(_PARENT, {"parent_id": int(value), "article_id": article.id}).scalar()
    if parent is None:
        raise Refused(403, REPLY_UNAPPROVED, reset_parent=True)
    return parent


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


# --- the pending link: the author sees their own held comment, and only they do ----------------------


def _pending_key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"blog.comments.moderation-hash", hashlib.sha256).digest()


def moderation_hash(comment: Comment) -> str:
    """Return the hash that lets this comment's author see it while it waits (bound to id and time)."""
    stamp = int(comment.created_at.timestamp())
    return hmac.new(_pending_key(), f"{comment.id}|{stamp}".encode(), hashlib.sha256).hexdigest()[:32]


def pending_comment(article: Article, comment_id: str | None, given_hash: str | None) -> Comment | None:
    """Return the comment a valid, unexpired ``?unapproved=ID&moderation-hash=HASH`` link points at,
    while it still waits for a moderator: once approved it shows as any other, and once marked spam or
    trash it is no longer "awaiting moderation"."""
    if not comment_id or not given_hash or not _ID.fullmatch(comment_id) or int(comment_id) > _MAX_ID:
        return None
    comment = db.session.get(Comment, int(comment_id))
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


# --- the commenter's cookie (only with their consent) -----------------------------------------------


def _author_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="blog.comments.author-cookie")


def remembered_author() -> dict | None:
    """Return the name, email and website this reader asked us to remember, if any."""
    value = request.cookies.get(AUTHOR_COOKIE)
    if not value:
        return None
    try:
        data = _author_serializer().loads(value)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def remember_author(response, form: CommentForm):
    """Keep (consent ticked) or forget (unticked) the reader's name, email and website."""
    if form.consent.data:
        value = _author_serializer().dumps({"author": form.author.data, "email": form.email.data, "url": form.url.data})
        response.set_cookie(
            AUTHOR_COOKIE,
            value,
            max_age=AUTHOR_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    elif AUTHOR_COOKIE in request.cookies:
        response.delete_cookie(
            AUTHOR_COOKIE, httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"]
        )
    return response


# --- the view --------------------------------------------------------------------------------------


@bp.route("/<slug>/comments", methods=["POST"], provide_automatic_options=False)
def post(slug):
    """Take a comment from the Leave a Reply form; answer with the article again if it cannot be taken."""
    form = CommentForm(request.form)
    try:
        return _post(slug, form)
    except sa.exc.OperationalError as error:
        # The database is down (or locked past the busy timeout): nothing was stored, so give the
        # reader back what they typed rather than a bare error page.
        db.session.rollback()
        current_app.logger.error("comment not saved, database unavailable: %s", error)
        return unavailable(slug, form)


def _post(slug: str, form: CommentForm):
    from blog.reading.views import get_public_article, render_article

    def answer(article: Article, status: int, message: str = "", retry_after: int | None = None):
        html, status = render_article(article, form=form, status=status, message=message)
        response = make_response(html, status)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        response.headers["Cache-Control"] = "no-store"
        return response

    # The form is checked before the database is asked anything; a refusal then looks the article up
    # (404 first, then 403 for a closed one, as if the order were the other way round).
    if not form.validate():
        article = get_public_article(slug)
        try:
            check_open(article)
        except Refused as refusal:
            return answer(article, refusal.status, refusal.message)
        return answer(article, 400, TOKEN_EXPIRED) if form.token_failed else answer(article, 422)
    try:
        posted = post_comment(
            slug, form, ip=request.remote_addr or "", user_agent=request.headers.get("User-Agent", "")
        )
    except Refused as refusal:
        if refusal.reset_parent:
            form.comment_parent.data = "0"
        # The post's own connection has rolled back; the page is shown again around the form, whole.
        return answer(get_public_article(slug), refusal.status, refusal.message, refusal.retry_after)
    return remember_author(redirect(_location_after_post(posted), 303), form)


def unavailable(slug: str, form: CommentForm):
    """Answer 503 with the form alone, holding what was typed: the article itself cannot be read."""
    section = Section(
        article=Article(slug=slug, title=""),  # never stored: it only names the form's action
        heading="",
        shown=[],
        page=1,
        pages=1,
        max_depth=1,
        form=form,
        closed=False,
        message=UNAVAILABLE,
    )
    response = make_response(render_template("comments/unavailable.html", comment_section=section), 503)
    response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    return response


def _location_after_post(posted: Posted) -> str:
    if posted.page and posted.page > 1:
        # An approved comment is shown in its thread, which may be on a later comment page.
        return f"{_page_url(posted.article, posted.page)}#comment-{posted.comment.id}"
    return pending_location(posted.article, posted.comment)


def _thread_statements():
    c, approved = _comments.c, CommentStatus.APPROVED
    # The comment and its ancestors among the approved comments of its article, up to its thread's
    # first comment: the one whose parent is not among them (threads.build shows such a reply as a
    # thread of its own). UNION, not UNION ALL, so that a cycle in bad data ends.
    ancestor = _comments.alias("ancestor")
    up = (
        sa.select(c.id, c.parent_id, c.created_at)
        .where(c.id == sa.bindparam("id"), c.article_id == sa.bindparam("article_id"), c.status == approved)
        .cte("up", recursive=True)
    )
    up = up.union(
        sa.select(ancestor.c.id, ancestor.c.parent_id, ancestor.c.created_at)
        .join(up, ancestor.c.id == up.c.parent_id)
        .where(ancestor.c.article_id == sa.bindparam("article_id"), ancestor.c.status == approved)
    )
    root = sa.select(up.c.id, up.c.created_at).where(
        sa.or_(up.c.parent_id.is_(None), up.c.parent_id == up.c.id, up.c.parent_id.not_in(sa.select(up.c.id)))
    )
    # How many threads start at or before that one: threads are ordered as _approved_comments reads them.
    parent = _comments.alias("parent")
    starts_thread = sa.or_(
        c.parent_id.is_(None),
        c.parent_id == c.id,
        ~sa.exists().where(
            parent.c.id == c.parent_id, parent.c.article_id == c.article_id, parent.c.status == approved
        ),
    )
    position = sa.select(sa.func.count()).where(
        c.article_id == sa.bindparam("article_id"),
        c.status == approved,
        sa.or_(
            c.created_at < sa.bindparam("created_at"),
            sa.and_(c.created_at == sa.bindparam("created_at"), c.id <= sa.bindparam("id")),
        ),
        starts_thread,
    )
    return root, position


_THREAD_ROOT, _THREAD_POSITION = _thread_statements()


def thread_page(connection, article_id: int, comment: Comment) -> int | None:
    """Return the comment page that shows this approved comment, as section_context pages them.

    Two queries answered from the indexes, without reading the comments into Python as
    threads.page_of must.
    """
    root = connection.execute(_THREAD_ROOT, {"id": comment.id, "article_id": article_id}).first()
    if root is None:  # not approved (any more), or in a cycle of replies that no page shows
        return None
    root_id, root_created = root
    position = connection.execute(
        _THREAD_POSITION, {"article_id": article_id, "created_at": root_created, "id": root_id}
    ).scalar()
    if not position:
        return None
    return (position - 1) // max(1, int(current_app.config["COMMENTS_PER_PAGE"])) + 1


@bp.get("/avatar/<token>.svg")
def avatar(token):
    """Draw an avatar from its token alone: no database, and the same picture forever."""
    if not avatars.TOKEN.match(token):
        abort(404)
    fill, cells = avatars.pattern(token)
    body = render_template("comments/avatar.svg", fill=fill, cells=cells, grid=avatars.GRID, size=avatars.SIZE)
    response = make_response(body)
    response.content_type = "image/svg+xml"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# --- the comments section of the article page --------------------------------------------------------


def _approved_comments(article_id: int) -> list[Comment]:
    """Return the article's approved comments, oldest first: the one query of the comments section."""
    return db.session.scalars(
        sa.select(Comment)
        .options(
            load_only(
                Comment.id,
                Comment.article_id,
                Comment.parent_id,
                Comment.author_name,
                Comment.author_url,
                Comment.html,
                Comment.status,
                Comment.created_at,
                Comment.moderator_id,
            )
        )
        .where(Comment.article_id == article_id, Comment.status == CommentStatus.APPROVED)
        .order_by(Comment.created_at, Comment.id)
    ).all()


def _page_url(article: Article, page: int) -> str:
    path = url_for("pages.article", slug=article.slug)
    return path if page <= 1 else f"{path}comment-page-{page}/"


def heading(count: int, title: str) -> str:
    """Return WordPress's heading of the comments section, or "" when there is none to count."""
    if count <= 0:
        return ""
    if count == 1:
        return f"One thought on “{title}”"
    return f"{count} thoughts on “{title}”"


@dataclass
class Section:
    """What templates/comments/_section.html shows."""

    article: Article
    heading: str
    shown: list
    page: int
    pages: int
    max_depth: int
    form: CommentForm
    closed: bool
    reply_to: Comment | None = None
    reply_shown: bool = False
    message: str = ""
    pending: Comment | None = None
    preview_note: bool = False

    @property
    def page_url(self) -> str:
        return _page_url(self.article, self.page)

    @property
    def action(self) -> str:
        return url_for("comments.post", slug=self.article.slug)

    def page_link(self, page: int) -> str:
        return _page_url(self.article, page) + "#comments"

    def reply_url(self, comment: Comment) -> str:
        return f"{self.page_url}?replytocom={comment.id}#respond"

    @staticmethod
    def avatar(comment: Comment) -> str:
        return url_for("comments.avatar", token=avatars.token_for(comment.id))

    @staticmethod
    def author_href(comment: Comment) -> str | None:
        url = comment.author_url or ""
        return url if re.match(r"(?i)^https?://", url) else None

    @property
    def field_errors(self) -> list[tuple[str, str]]:
        return self.form.field_errors

    @property
    def has_errors(self) -> bool:
        return bool(self.message or self.field_errors)


def section_context(article, *, comment_page=1, form=None, **extra) -> dict:
    """Return the template context of the article's comments section and reply form.

    Reads ``?replytocom=ID`` and ``?unapproved=ID&moderation-hash=HASH`` from the request.

    :raise 404: for a comment page past the last one.
    """
    config = current_app.config
    max_depth = max(1, int(config["THREAD_DEPTH"]))
    per_page = max(1, int(config["COMMENTS_PER_PAGE"]))
    approved = _approved_comments(article.id)
    by_id = {c.id: c for c in approved}
    all_threads = threads.build(approved, max_depth)
    pages = threads.page_count(all_threads, per_page)

    # Replying: to the comment of a failed post, or to ?replytocom=ID (only an approved comment of ours).
    wanted = form.comment_parent.data if form is not None else request.args.get("replytocom")
    reply_to = by_id.get(int(wanted)) if wanted and _ID.fullmatch(str(wanted)) else None
    if form is not None and reply_to is not None and comment_page == 1:
        comment_page = threads.page_of(all_threads, reply_to.id, per_page) or 1
    if comment_page < 1 or comment_page > pages:
        abort(404)
    start = (comment_page - 1) * per_page
    shown = [node for thread in all_threads[start : start + per_page] for node in thread]

    remembered = remembered_author()
    pending = None
    if form is None and "unapproved" in request.args:
        pending = pending_comment(article, request.args.get("unapproved"), request.args.get("moderation-hash"))
        if pending is not None:
            threads.place_pending(shown, pending, max_depth)

    if form is None:
        form = CommentForm(comment_parent=str(reply_to.id) if reply_to else "0")
        if remembered:
            form.author.data = str(remembered.get("author") or "")[:245]
            form.email.data = str(remembered.get("email") or "")[:100]
            form.url.data = str(remembered.get("url") or "")[:200]
            form.consent.data = True
    elif reply_to is None:
        form.comment_parent.data = "0"

    section = Section(
        article=article,
        heading=heading(len(approved), article.title),
        shown=shown,
        page=comment_page,
        pages=pages,
        max_depth=max_depth,
        form=form,
        closed=moderation.comments_closed(article, config, utcnow()),
        reply_to=reply_to,
        reply_shown=reply_to is not None and threads.find(shown, reply_to.id) is not None,
        message=extra.get("message", ""),
        pending=pending,
        preview_note=remembered is None,
    )
    return {"comment_section": section, "jsonld_comments": jsonld(section)}


def jsonld(section: Section) -> list[dict]:
    """Return the page's approved comments as schema.org Comment objects (never an email or IP)."""
    base = url_for("pages.article", slug=section.article.slug, _external=True)
    page_url = base if section.page <= 1 else f"{base}comment-page-{section.page}/"
    items = []

    def walk(nodes):
        for node in nodes:
            if not node.pending:
                c = node.comment
                author = {"@type": "Person", "name": c.author_name}
                if section.author_href(c):
                    author["url"] = c.author_url
                items.append(
                    {
                        "@type": "Comment",
                        "@id": f"{page_url}#comment-{c.id}",
                        "url": f"{page_url}#comment-{c.id}",
                        "author": author,
                        "dateCreated": c.created_at.replace(microsecond=0).isoformat(),
                        "text": sanitize.plain_text(c.html),
                    }
                )
            walk(node.children)

    walk(section.shown)
    return items


def comment_date(value: datetime) -> str:
    """Format a comment's time as WordPress does by default: "January 5, 2025 at 3:07 pm" (UTC)."""
    value = value.astimezone(UTC)
    hour = value.hour % 12 or 12
    return f"{value:%B} {value.day}, {value.year} at {hour}:{value:%M} {'am' if value.hour < 12 else 'pm'}"


def init_app(app):
    csrf.init_app(app)
    app.add_template_filter(comment_date, "comment_date")
