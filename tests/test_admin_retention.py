"""`flask --app blog comments purge`: spam and trash go after RETENTION_DAYS, counted from when they went there."""

from datetime import timedelta

import pytest

from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, ModerationEvent
from blog.moderation import actions
from tests.factories import make_article, make_comment, make_moderator

P, A, S, T = CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.SPAM, CommentStatus.TRASH
OLD, RECENT = timedelta(days=31), timedelta(days=29)


@pytest.fixture
def article_id(app):
    with app.app_context():
        return make_article().id


def ids(app):
    with app.app_context():
        return set(db.session.scalars(db.select(Comment.id)))


def test_purge_deletes_old_spam_and_trash_only(app, runner, article_id):
    with app.app_context():
        article = db.session.get(Article, article_id)
        keep = {make_comment(article, status=s, age=OLD).id for s in (P, A)}
        keep |= {make_comment(article, status=s, age=RECENT).id for s in (S, T)}
        gone = {make_comment(article, status=s, age=OLD).id for s in (S, T, S)}

    result = runner.invoke(args=["comments", "purge"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Deleted 3 spam and trash comments older than 30 days."
    assert ids(app) == keep
    assert not gone & ids(app)


def test_age_counts_from_when_it_was_trashed(app, runner, article_id):
    with app.app_context():
        mod = make_moderator()
        article = db.session.get(Article, article_id)
        cid = make_comment(article, status=A, age=timedelta(days=400)).id
        actions.apply([cid], "trash", mod)  # trashed just now: a month to change one's mind
        old_trash = make_comment(article, status=A, age=timedelta(days=400)).id
        actions.apply([old_trash], "trash", mod)
        event = db.session.scalars(db.select(ModerationEvent).where(ModerationEvent.comment_id == old_trash)).one()
        event.created_at -= OLD
        db.session.commit()

    assert runner.invoke(args=["comments", "purge"]).output.startswith("Deleted 1 ")
    assert ids(app) == {cid}
    with app.app_context():  # the purged comment's records went with it
        assert db.session.scalar(db.select(db.func.count(ModerationEvent.id))) == 1


def test_the_setting_and_the_replies(app, runner, article_id):
    app.config["RETENTION_DAYS"] = 7
    with app.app_context():
        article = db.session.get(Article, article_id)
        parent = make_comment(article, status=S, age=timedelta(days=8))
        reply = make_comment(article, status=A, parent=parent).id
        version = db.session.get(Article, article_id).version

    assert runner.invoke(args=["comments", "purge"]).output.splitlines()[0] == (
        "Deleted 1 spam and trash comment older than 7 days."
    )
    with app.app_context():
        assert db.session.get(Comment, reply).parent_id is None
        assert db.session.get(Article, article_id).version == version + 1


def test_nothing_to_purge(runner, article_id):
    assert runner.invoke(args=["comments", "purge"]).output.startswith("Deleted 0 ")
