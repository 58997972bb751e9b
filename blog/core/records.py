"""The site's own bookkeeping beside its articles, comments and moderators (blog/core/models.py): old
addresses and imported files (blog/moving), the spam filter's learnt weights (blog/spam), and the
commenters' notices and opt-outs (blog/comments/notices.py)."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.core.extensions import db
from blog.core.models import Comment, UTCDateTime, enum_type, utcnow


class Redirect(db.Model):
    """An old address of an article, such as a WordPress permalink, that answers 301 with its own."""

    path: Mapped[str] = mapped_column(sa.String(500), primary_key=True)  # "/?p=12", "/2013/01/11/hello/"
    slug: Mapped[str] = mapped_column(sa.String(200))


class ImportedFile(db.Model):
    """An article file an import wrote, with the hash of what it wrote: a file that no longer has
    that hash was edited since, and the next import leaves it alone (blog/moving/importer.py)."""

    __tablename__ = "imported_file"

    path: Mapped[str] = mapped_column(sa.String(500), primary_key=True)  # relative to the content folder
    sha256: Mapped[str] = mapped_column(sa.String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpamWeight(db.Model):
    """What this site's moderators have taught the spam filter: one hashed feature's weight, added to the
    shipped starting model's (blog/spam/store.py). ``version`` is the model version that last wrote it,
    so a worker reads only the weights that changed since its copy."""

    __tablename__ = "spam_weight"

    bucket: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    weight: Mapped[float] = mapped_column(sa.Float)
    version: Mapped[int] = mapped_column()

    __table_args__ = (sa.Index("ix_spam_weight_version", "version"),)


class SpamModel(db.Model):
    """The one row that says which version of the learnt weights is current (``generation`` moves when
    ``spam retrain`` starts again from the starting model) and how many decisions taught it."""

    __tablename__ = "spam_model"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # always 1
    version: Mapped[int] = mapped_column(default=0)
    generation: Mapped[int] = mapped_column(default=0)
    lessons: Mapped[int] = mapped_column(default=0)


class NoticeKind(enum.Enum):
    APPROVED = "approved"  # to a comment's author: it is approved
    REPLY = "reply"  # to the author of a comment's parent: it has an approved answer


class Notice(db.Model):
    """One email to a commenter, waiting to go out or sent (blog/comments/notices.py).

    It names the comment, not an address: the recipient is read from the Comment model when the mail
    is sent, so no address is copied out of it, and a commenter who unsubscribed meanwhile gets nothing.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_type(NoticeKind))
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"))
    base_url: Mapped[str] = mapped_column(sa.String(500))  # the site's address as the reader reached it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the next attempt, after back-off
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a worker is sending it
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")

    comment: Mapped[Comment | None] = relationship()

    __table_args__ = (sa.Index("ix_notice_sent_due", "sent_at", "due_at"),)


class MailOptOut(db.Model):
    """An address that unsubscribed from every notice of the site, by its email key."""

    __tablename__ = "mail_opt_out"

    email_key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
