"""What moderators do to comments: the status transitions, edits and replies, each with its audit record.

Every function here is one write transaction that starts with ``begin_write()`` and bumps the version of
every article it changes (``touch_article``), so no cached page outlives the change.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from blog.comments import notices
from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus, ModerationEvent, Moderator, utcnow
from blog.core.sanitize import clean_comment
from blog.reading.versions import touch_article
from blog.spam import store as spam_filter

PENDING, APPROVED, SPAM, TRASH = (
    CommentStatus.PENDING,
    CommentStatus.APPROVED,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
)
MAX_BULK = 1000
# What each decision teaches the spam filter (blog/spam/): Trash, Unapprove and Restore teach nothing, since
# a comment is trashed for being off topic or rude as often as for being spam.
LESSONS = {"approve": "ham", "not-spam": "ham", "spam": "spam"}


class ActionError(Exception):
    """A moderation request that cannot be carried out; the message is for the moderator."""


@dataclass(frozen=True)
class Action:
    slug: str  # in URLs and the bulk form: /admin/comments/<id>/<slug>
    label: str  # on the button
    done: str  # "1 comment <done>."
    sources: frozenset[CommentStatus]  # the statuses it applies to
    target: CommentStatus | None  # None: the comment is deleted
    restores: bool = False  # back to the status it had before it was spammed or trashed


# WordPress's transitions (wp_set_comment_status, wp_spam_comment, wp_untrash_comment, ...): spam and
# trash remember where the comment came from, and Not spam / Restore put it back there.
ACTIONS = {
    a.slug: a
    for a in (
        Action("approve", "Approve", "approved", frozenset({PENDING}), APPROVED),
        Action("unapprove", "Unapprove", "unapproved", frozenset({APPROVED}), PENDING),
        Action("spam", "Spam", "marked as spam", frozenset({PENDING, APPROVED}), SPAM),
        Action("not-spam", "Not spam", "restored from the spam", frozenset({SPAM}), PENDING, restores=True),
        Action("trash", "Trash", "moved to the Trash", frozenset({PENDING, APPROVED}), TRASH),
        Action("restore", "Restore", "restored from the Trash", frozenset({TRASH}), PENDING, restores=True),
        Action("delete", "Delete permanently", "permanently deleted", frozenset({SPAM, TRASH}), None),
    )
}


def available(*statuses: CommentStatus) -> list[Action]:
    """Return the actions that apply to a comment in any of these statuses, in button order."""
    return [a for a in ACTIONS.values() if a.sources & set(statuses)]


@dataclass
class Outcome:
    action: Action
    changed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # gone, or in a status the action does not apply to

    @property
    def message(self) -> str:
        n = len(self.changed)
        return f"{n} comment{'' if n == 1 else 's'} {self.action.done}."


def _for_update(query):
    # SQLite has the whole database locked by begin_write(); PostgreSQL locks just these rows, in id
    # order, so two moderators acting on the same comments take turns instead of deadlocking, and the
    # second one sees the first one's result before deciding.
    query = query.execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return query


def record(comment_id, moderator, action, before, after, detail="", when=None) -> ModerationEvent:
    """Add the audit record of one action on one comment to the session (no moderator: "system")."""
    event = ModerationEvent(
        comment_id=comment_id,
        moderator_id=moderator.id if moderator else None,
        moderator_name=moderator.username if moderator else "system",
        action=action,
        from_status=before.value if isinstance(before, CommentStatus) else before,
        to_status=after.value if isinstance(after, CommentStatus) else after,
        detail=detail,
        created_at=when or utcnow(),
    )
    db.session.add(event)
    return event


def previous_status(comment: Comment) -> CommentStatus:
    """Return where a spammed or trashed comment was before, as WordPress's `_wp_trash_meta_status`."""
    before = db.session.scalar(
        sa.select(ModerationEvent.from_status)
        .where(ModerationEvent.comment_id == comment.id, ModerationEvent.to_status == comment.status.value)
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )
    return APPROVED if before == APPROVED.value else PENDING


def delete_comment(comment: Comment) -> None:
    """Delete one comment in the caller's transaction; its replies move up to its parent, as in WordPress."""
    db.session.execute(
        sa.update(Comment).where(Comment.parent_id == comment.id).values(parent_id=comment.parent_id),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.delete(comment)
    db.session.flush()


def apply(comment_ids: Iterable[int], action: Action | str, moderator: Moderator) -> Outcome:
    """Apply one action to these comments in one transaction, with an audit record for each changed one.

    Comments the action does not apply to (already moved by someone else, for instance) are skipped.
    :raise KeyError: for an unknown action slug.
    """
    action = ACTIONS[action] if isinstance(action, str) else action
    ids = sorted({int(i) for i in comment_ids})[:MAX_BULK]
    outcome = Outcome(action)
    begin_write()
    comments = db.session.scalars(_for_update(sa.select(Comment).where(Comment.id.in_(ids)).order_by(Comment.id))).all()
    outcome.skipped = sorted(set(ids) - {c.id for c in comments})
    now = utcnow()
    touched = set()
    lessons = []
    approved_now = []
    for comment in comments:
        before = comment.status
        if before not in action.sources:
            outcome.skipped.append(comment.id)
            continue
        if action.target is None:
            record(
                comment.id,
                moderator,
                action.slug,
                before,
                "deleted",
                when=now,
                detail=f"Comment #{comment.id} by {comment.author_name}",
            )
            db.session.flush()
            touched.add(comment.article_id)
            delete_comment(comment)
        else:
            after = previous_status(comment) if action.restores else action.target
            comment.status = after
            if after is APPROVED and (action.target is APPROVED or comment.approved_at is None):
                comment.approved_at = now
            record(comment.id, moderator, action.slug, before, after, when=now)
            touched.add(comment.article_id)
            lessons += _lesson(comment, LESSONS.get(action.slug))
            if after is APPROVED:
                approved_now.append(comment)
        outcome.changed.append(comment.id)
    notices.queue_approved(approved_now)  # the commenters who asked are told, once this commits
    db.session.flush()
    spam_filter.teach(db.session.connection(), lessons)
    for article_id in sorted(touched):
        touch_article(article_id)
    db.session.commit()
    outcome.skipped.sort()
    return outcome


def _lesson(comment: Comment, label: str | None) -> list[tuple[spam_filter.Example, bool]]:
    """Return what deciding this comment teaches the spam filter: nothing when it has already learnt
    that label from it (Not spam, then Approve, is one lesson), nothing for a moderator's own reply."""
    if label is None or comment.spam_label == label or comment.moderator_id is not None:
        return []
    comment.spam_label = label
    return [(spam_filter.Example.of(comment), label == "spam")]


def _lock(comment_id: int) -> Comment:
    comment = db.session.scalar(_for_update(sa.select(Comment).where(Comment.id == comment_id)))
    if comment is None:
        db.session.rollback()
        raise ActionError("That comment no longer exists.")
    return comment


def edit(
    comment: Comment,
    text: str,
    name: str,
    email: str,
    url: str,
    moderator: Moderator,
    status: CommentStatus | None = None,
) -> Comment:
    """Save a moderator's changes to a comment, cleaning the text again as on posting.

    :param status: the status to give it (WordPress's edit screen has one); None keeps it. The audit
        record holds the move, so Not spam and Restore later know where the comment came from.
    """
    comment_id = comment.id
    begin_write()
    comment = _lock(comment_id)
    before = comment.status
    new = {"raw_text": text, "author_name": name, "author_email": email or "", "author_url": url or ""}
    new["status"] = status or before
    changed = [key for key, value in new.items() if getattr(comment, key) != value]
    for key, value in new.items():
        setattr(comment, key, value)
    if comment.status is APPROVED and comment.approved_at is None:
        comment.approved_at = utcnow()
    comment.html = clean_comment(text)
    labels = {
        "raw_text": "text",
        "author_name": "name",
        "author_email": "email",
        "author_url": "website",
        "status": "status",
    }
    detail = "changed " + ", ".join(labels[k] for k in changed) if changed else "saved unchanged"
    record(comment.id, moderator, "edit", before, comment.status, detail)
    if comment.status is APPROVED and before is not APPROVED:
        notices.queue_approved([comment])
    touch_article(comment.article_id)
    db.session.commit()
    return comment


def reply(parent: Comment, text: str, moderator: Moderator, ip: str = "", user_agent: str = "") -> Comment:
    """Post the moderator's reply, approved, under ``parent``, approving the parent if it was pending.

    :raise ActionError: if the parent is spam or in the trash.
    """
    parent_id = parent.id
    begin_write()
    parent = _lock(parent_id)
    if parent.status not in (PENDING, APPROVED):
        db.session.rollback()
        raise ActionError("Only pending and approved comments can be replied to.")
    now = utcnow()
    if parent.status is PENDING:
        parent.status = APPROVED
        parent.approved_at = now
        record(parent.id, moderator, "approve", PENDING, APPROVED, "approved by replying", when=now)
        spam_filter.teach(db.session.connection(), _lesson(parent, LESSONS["approve"]))
    answer = Comment(
        article_id=parent.article_id,
        parent_id=parent.id,
        author_name=moderator.username,
        author_email=moderator.email or "",
        author_url="",
        author_ip=(ip or "")[:45],
        user_agent=(user_agent or "")[:255],
        raw_text=text,
        html=clean_comment(text),
        status=APPROVED,
        reasons=[],
        created_at=now,
        approved_at=now,
        moderator_id=moderator.id,
    )
    db.session.add(answer)
    db.session.flush()
    record(answer.id, moderator, "reply", "", APPROVED, f"in reply to #{parent.id}", when=now)
    notices.queue_approved([parent, answer] if parent.approved_at == now else [answer])
    touch_article(parent.article_id)
    db.session.commit()
    return answer
