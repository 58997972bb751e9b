"""Two moderators acting on the same comments at the same moment: each comment ends in one state, and its audit
trail is an unbroken chain that ends in that state (file SQLite, and PostgreSQL under TEST_DATABASE_URL)."""

import threading

import pytest

from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, Moderator
from blog.moderation import actions
from tests.actions import events_of
from tests.factories import make_article, make_comment, make_moderator

pytestmark = pytest.mark.slow


def run_together(app, *jobs):
    """Run each (moderator id, ids, action) in its own thread and app context, all released at once."""
    start = threading.Barrier(len(jobs))
    errors = []

    def work(moderator_id, ids, action):
        with app.app_context():
            try:
                moderator = db.session.get(Moderator, moderator_id)
                db.session.rollback()
                start.wait(5)
                actions.apply(ids, action, moderator)
            except Exception as error:  # reported below, in the test's own thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def assert_consistent(comment_ids):
    for cid in comment_ids:
        comment = db.session.get(Comment, cid)
        events = events_of(cid)
        assert events, f"comment {cid} has no audit record"
        assert events[0].from_status == "pending"
        for earlier, later in zip(events, events[1:], strict=False):
            assert later.from_status == earlier.to_status, f"comment {cid}: broken trail"
        assert events[-1].to_status == comment.status.value


@pytest.mark.parametrize("rounds", [3])
def test_approve_and_trash_at_once(app, rounds):
    with app.app_context():
        ann, bob = make_moderator("ann").id, make_moderator("bob").id
        article_id = make_article().id
    for _ in range(rounds):
        with app.app_context():
            article = db.session.get(Article, article_id)
            ids = [make_comment(article, f"comment {i}", status=CommentStatus.PENDING).id for i in range(30)]
        run_together(app, (ann, ids, "approve"), (bob, list(reversed(ids)), "trash"))
        with app.app_context():
            assert_consistent(ids)
            statuses = {db.session.get(Comment, cid).status for cid in ids}
            # trash applies to pending and approved alike, so whoever went first, trash is where they end
            assert statuses == {CommentStatus.TRASH}
            article = db.session.get(Article, article_id)
            assert article.approved_count == 0


def test_many_moderators_on_one_comment(app):
    with app.app_context():
        mods = [make_moderator(f"mod{i}").id for i in range(6)]
        article_id = make_article().id
        cid = make_comment(db.session.get(Article, article_id), status=CommentStatus.PENDING).id
    jobs = [
        (m, [cid], action)
        for m, action in zip(mods, ["approve", "spam", "trash", "approve", "spam", "unapprove"], strict=True)
    ]
    run_together(app, *jobs)
    with app.app_context():
        assert_consistent([cid])
        article = db.session.get(Article, article_id)
        approved = db.session.get(Comment, cid).status is CommentStatus.APPROVED
        assert article.approved_count == int(approved)
