"""The data: articles, their comments, the moderators and what the moderators did."""

import enum
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from blog.core import keys, normalise
from blog.core.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite forgets the zone; we put it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class EncryptedText(sa.types.TypeDecorator):
    """Text stored encrypted under the data keys (blog/core/keys.py), in clear in Python; "" stays ""."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else keys.encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else keys.decrypt(value)


class ArticleStatus(enum.Enum):
    PUBLISHED = "published"
    DRAFT = "draft"
    WITHDRAWN = "withdrawn"  # its file is gone from content/; kept so its comments survive


class ArticleKind(enum.Enum):
    ARTICLE = "article"
    PAGE = "page"  # About and the like: at /<slug>/, but in no list, tag, archive or feed (SPEC §8)


class CommentKind(enum.Enum):
    COMMENT = "comment"
    # Imported from WordPress: another site's link to the article, shown apart below the comments.
    PINGBACK = "pingback"
    TRACKBACK = "trackback"


class CommentStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"


# The queue's All tab: the condition of its partial indexes, which its queries state in the same words.
ALL_TAB = sa.text("status IN ('pending', 'approved')")


def enum_type(cls):
    # Store the readable value ("pending"), not the Python name, and no native ENUM type, so that
    # adding a status later is not a PostgreSQL type migration.
    return sa.Enum(
        cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=16, validate_strings=True
    )


class Article(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    author: Mapped[str] = mapped_column(sa.String(200), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[ArticleStatus] = mapped_column(enum_type(ArticleStatus), default=ArticleStatus.PUBLISHED)
    comments_open: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    source_path: Mapped[str] = mapped_column(sa.String(500), default="")
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    # Rendered once at publish time; no request renders Markdown.
    html: Mapped[str] = mapped_column(sa.Text, default="")
    toc_html: Mapped[str] = mapped_column(sa.Text, default="")
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    image: Mapped[str] = mapped_column(sa.String(500), default="")  # first figure, for Open Graph
    # Bumped in the same transaction as any change that alters the article page (publish, a comment
    # approved, edited, removed), so every worker can tell whether its cached page is current.
    version: Mapped[int] = mapped_column(default=1)
    approved_count: Mapped[int] = mapped_column(default=0)
    kind: Mapped[ArticleKind] = mapped_column(
        enum_type(ArticleKind), default=ArticleKind.ARTICLE, server_default=ArticleKind.ARTICLE.value
    )
    nav_order: Mapped[int | None] = mapped_column()  # a page's place in the header navigation; None: not there

    comments: Mapped[list["Comment"]] = relationship(back_populates="article", passive_deletes=True)
    tag_rows: Mapped[list["ArticleTag"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (sa.Index("ix_article_public", "status", "published_at"),)

    # "Public" is written here once, for Python and for SQL side by side: published, and due (a
    # future date waits). Every reader-facing query and check goes through one or the other.
    @hybrid_method
    def is_public(self, now: datetime | None = None) -> bool:
        """Whether readers may see this article (``now`` defaults to the present)."""
        return public(self.status, self.published_at, now)

    @is_public.expression
    def is_public(cls, now: datetime | None = None):
        """The SQL condition for the same: ``sa.select(Article).where(Article.is_public())``."""
        return sa.and_(cls.status == ArticleStatus.PUBLISHED, cls.published_at <= (now or utcnow()))

    # "Listed" is public and an article, not a page: what the index, tags, archives, feeds and
    # previous/next show. A page is public (at its own URL) but listed nowhere but the navigation.
    @hybrid_method
    def is_listed(self, now: datetime | None = None) -> bool:
        """Whether this is a public article that lists of articles show."""
        return self.kind is ArticleKind.ARTICLE and self.is_public(now)

    @is_listed.expression
    def is_listed(cls, now: datetime | None = None):
        """The SQL condition for the same: ``sa.select(Article).where(Article.is_listed())``."""
        return sa.and_(cls.kind == ArticleKind.ARTICLE, cls.is_public(now))

    # "In the navigation" is a public page with a ``nav`` order: what the header of every page shows.
    @hybrid_method
    def in_navigation(self, now: datetime | None = None) -> bool:
        """Whether the header navigation shows this page."""
        return self.kind is ArticleKind.PAGE and self.nav_order is not None and self.is_public(now)

    @in_navigation.expression
    def in_navigation(cls, now: datetime | None = None):
        """The SQL condition for the same."""
        return sa.and_(cls.kind == ArticleKind.PAGE, cls.nav_order.is_not(None), cls.is_public(now))

    @property
    def is_page(self) -> bool:
        return self.kind is ArticleKind.PAGE


def public(status: ArticleStatus, published_at: datetime, now: datetime | None = None) -> bool:
    """Whether an article of this status and date is public; for values read without the ORM."""
    return status is ArticleStatus.PUBLISHED and published_at <= (now or utcnow())


class ArticleTag(db.Model):
    """One tag of one article, by its slug: what /tag/<slug>/ looks up (``Article.tags`` keeps the spellings)."""

    __tablename__ = "article_tag"

    article_id: Mapped[int] = mapped_column(sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))  # as the article writes it, for the tag page's heading

    # A tag page: that tag's articles, found by slug.
    __table_args__ = (sa.Index("ix_article_tag_slug", "slug", "article_id"),)


class Comment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("article.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(sa.String(245))
    # Encrypted at rest, and read only where it is shown (the admin) or asked for: never on a public page.
    author_email: Mapped[str] = mapped_column(EncryptedText, deferred=True)
    author_url: Mapped[str] = mapped_column(sa.String(200), default="")
    author_ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    raw_text: Mapped[str] = mapped_column(sa.Text)  # as typed, so it can be re-cleaned later
    html: Mapped[str] = mapped_column(sa.Text)  # cleaned by blog/core/sanitize.py
    status: Mapped[CommentStatus] = mapped_column(enum_type(CommentStatus), default=CommentStatus.PENDING)
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)  # why it was held (blog/comments/rules.py)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderator.id", ondelete="SET NULL"))
    # What the duplicate and flood rules compare (blog/core/normalise.py), kept in step with raw_text and
    # author_email by the validators below, and indexed. author_email_key is the email's keyed blind index
    # (blog/core/keys.py): every lookup by address goes through it.
    text_fingerprint: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    author_email_key: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    kind: Mapped[CommentKind] = mapped_column(
        enum_type(CommentKind), default=CommentKind.COMMENT, server_default=CommentKind.COMMENT.value
    )
    # Written by the article's author on WordPress (an imported comment with the post author's user id).
    by_post_author: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The comment's id in the WordPress export it came from, so a second import knows it (blog/moving).
    wordpress_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The spam filter (blog/spam/): how spammy the comment looked when posted (None: posted before the filter,
    # or by a moderator), the words-only hash its repetition feature counts, and the lesson the filter has
    # taken from the moderators' decision on it ("spam", "ham"; None: none yet), so a decision teaches once.
    spam_score: Mapped[float | None] = mapped_column(sa.Float)
    text_shape: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    spam_label: Mapped[str | None] = mapped_column(sa.String(4))
    # What the commenter asked to be told by email (SPEC §12), each unticked unless they tick it.
    notify_approved: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    notify_replies: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by its author, within the edit window

    article: Mapped[Article] = relationship(back_populates="comments")
    parent: Mapped["Comment | None"] = relationship(remote_side=[id])
    moderator: Mapped["Moderator | None"] = relationship()
    events: Mapped[list["ModerationEvent"]] = relationship(
        back_populates="comment", order_by="ModerationEvent.id", passive_deletes=True
    )

    __table_args__ = (
        # The article page: approved comments of one article, oldest first.
        sa.Index("ix_comment_article_status_created", "article_id", "status", "created_at"),
        # The moderation queue: each tab in each of its orders (blog/moderation/queue.py), one index range
        # per page. The All tab (pending and approved) has partial indexes of its own, so its pages are a
        # range too instead of a merge of two statuses sorted on every read.
        sa.Index("ix_comment_status_created_id", "status", "created_at", "id"),
        sa.Index("ix_comment_status_score", "status", "spam_score", "created_at", "id"),
        sa.Index("ix_comment_all_created", "created_at", "id", sqlite_where=ALL_TAB, postgresql_where=ALL_TAB),
        sa.Index(
            "ix_comment_all_score", "spam_score", "created_at", "id", sqlite_where=ALL_TAB, postgresql_where=ALL_TAB
        ),
        # The flood check: the latest comment from one IP or one email (in any letter case). With the status,
        # a moderator's search by IP (or its beginning) or email keeps the tab's matches from the index alone,
        # reading from the table only the rows of the page (migration 0013).
        sa.Index("ix_comment_ip_created_status", "author_ip", "created_at", "status"),
        sa.Index("ix_comment_email_key_created_status", "author_email_key", "created_at", "status"),
        sa.Index("ix_comment_parent", "parent_id"),
        # The duplicate check (same article, same words, same name or email): without it the check
        # reads every comment of the article on each post.
        sa.Index("ix_comment_article_fingerprint", "article_id", "text_fingerprint"),
        sa.Index("ix_comment_article_wordpress_id", "article_id", "wordpress_id", unique=True),
        # The spam filter's repetition feature: recent comments of the same shape.
        sa.Index("ix_comment_shape_created", "text_shape", "created_at"),
    )

    @validates("raw_text")
    def _fingerprint_text(self, key, value):
        self.text_fingerprint = normalise.text_fingerprint(value or "")
        self.text_shape = normalise.text_shape(value or "")
        return value

    @validates("author_email")
    def _key_email(self, key, value):
        self.author_email_key = keys.email_index(value or "")
        return value


class SiteState(db.Model):
    """Values the site keeps for itself, by name: the wrapped blind-index key (blog/core/keys.py), the last purge."""

    __tablename__ = "site_state"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, default="")


@sa.event.listens_for(SiteState.__table__, "after_create")
def _first_index_key(target, connection, **kw):
    # A new database (db.create_all, as the tests make theirs) gets its blind-index key with the table;
    # the migration makes it for a migrated one.
    keys.new_index_key(connection, keys.keyring())


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Moderator(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session and remember-me cookie of this moderator (get_id); a new one ends them all.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Make every session and remember-me cookie issued so far open nothing."""
        self.session_token = new_session_token()


class ModerationEvent(db.Model):
    """One moderator action on one comment: who, what, when (the audit trail)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept when the comment is deleted permanently, so the deletion itself stays on record.
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id", ondelete="SET NULL"))
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderator.id", ondelete="SET NULL"))
    moderator_name: Mapped[str] = mapped_column(sa.String(80))
    action: Mapped[str] = mapped_column(sa.String(32))
    from_status: Mapped[str] = mapped_column(sa.String(16), default="")
    to_status: Mapped[str] = mapped_column(sa.String(16), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    comment: Mapped[Comment | None] = relationship(back_populates="events")

    __table_args__ = (sa.Index("ix_moderation_event_comment", "comment_id"),)


class LoginFailure(db.Model):
    """A failed sign-in, kept in the database so every worker throttles alike."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80))
    ip: Mapped[str] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.Index("ix_login_failure_username_created", "username", "created_at"),
        sa.Index("ix_login_failure_ip_created", "ip", "created_at"),
    )
