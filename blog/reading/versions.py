"""Tell every worker that an article's page changed.

Every article carries a ``version``; cached pages are keyed by it (blog/reading/pagecache.py).

The one rule: an article's version moves exactly once, in the same transaction as any change a reader
would see of it, so a worker on any machine sees the new version exactly when it can see the change.
Everything goes through ``bump``, the single statement that moves versions:

- the blog's Session bumps, at commit, every article it was told of or whose shown comments it
  added, changed or deleted through the ORM (the hooks ``init_app`` attaches), so a forgotten call
  cannot leave a stale page;
- a change the ORM cannot see (publishing, an ``UPDATE ... WHERE`` over many comments) tells the
  Session with ``touch_article``;
- a write on a connection of its own, outside the Session (the comment post path), calls ``bump``
  in its transaction.
"""

import sqlalchemy as sa
from sqlalchemy import event

from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus


def _touch_statement():
    approved = (
        sa.select(sa.func.count(Comment.id))
        .where(Comment.article_id == Article.id, Comment.status == CommentStatus.APPROVED)
        .scalar_subquery()
    )
    return (
        sa.update(Article.__table__)
        .where(Article.id.in_(sa.bindparam("ids", expanding=True)))
        # A comment is no edit of the article: keep updated_at (feeds and the sitemap show it).
        .values(version=Article.version + 1, approved_count=approved, updated_at=Article.updated_at)
    )


# Built once: every approved comment runs it, and building it cost as much as running it.
_TOUCH = _touch_statement()


def bump(executor, article_ids) -> None:
    """Move these articles' versions now, in the transaction of ``executor`` (a Session or a Connection).

    For writes made on a Connection outside the Session (the comment post path); the Session's own
    changes are bumped at commit by the hooks below.
    """
    executor.execute(_TOUCH, {"ids": sorted(article_ids)})


_TOUCHED = "blog.touched_articles"
_PENDING = "blog.touch_after_insert"


def touch_article(article_id: int) -> None:
    """Mark the article's page as changed: its version moves (once) when the transaction commits.

    Call it after a change that alters what readers see of an article and that does not go through
    the ORM's unit of work (publishing, an ``UPDATE ... WHERE`` over many comments); comment changes
    made through the ORM are caught by themselves.
    """
    db.session().info.setdefault(_TOUCHED, set()).add(article_id)


def _shows(session, comment: Comment) -> bool:
    """Whether this pending change of a comment alters what readers see (it is or was approved)."""
    if comment in session.new:
        return comment.status is CommentStatus.APPROVED
    history = sa.inspect(comment).attrs.status.history
    before = history.deleted[0] if history.deleted else comment.status
    if comment in session.deleted:
        return before is CommentStatus.APPROVED
    return CommentStatus.APPROVED in (before, comment.status) and session.is_modified(
        comment, include_collections=False
    )


def _collect_changes(session, flush_context, instances):
    touched = session.info.setdefault(_TOUCHED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Comment) and _shows(session, obj):
            article_id = obj.article_id if obj.article_id is not None else getattr(obj.article, "id", None)
            if article_id is not None:
                touched.add(article_id)
            else:  # the article is new in this flush too: its id is known after it
                session.info.setdefault(_PENDING, []).append(obj)


def _resolve_new(session, flush_context):
    pending = session.info.pop(_PENDING, [])
    session.info.setdefault(_TOUCHED, set()).update(c.article_id for c in pending)


def _bump_versions(session):
    session.flush()
    touched = session.info.pop(_TOUCHED, None)
    if touched:
        # One bump per article per transaction, inside that transaction.
        bump(session, touched)


def _forget(session):
    session.info.pop(_TOUCHED, None)
    session.info.pop(_PENDING, None)


_HOOKS = (
    ("before_flush", _collect_changes),
    ("after_flush", _resolve_new),
    ("before_commit", _bump_versions),
    ("after_rollback", _forget),
)


def init_app(app) -> None:
    """Attach the version hooks to the blog's sessions, once however many apps are created.

    They go on ``db.session``'s sessionmaker, which every app of the process shares, rather than on
    every SQLAlchemy Session there is.
    """
    sessions = db.session.session_factory
    for name, hook in _HOOKS:
        if not event.contains(sessions, name, hook):
            event.listen(sessions, name, hook)
