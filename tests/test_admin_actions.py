"""The moderation service: WordPress's transitions, each with its audit record and a fresh article version."""

import pytest

from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, ModerationEvent
from blog.moderation import actions
from tests.actions import events_of, status_of
from tests.factories import make_article, make_comment, make_moderator

P, A, S, T = CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.SPAM, CommentStatus.TRASH


@pytest.fixture
def mod(ctx):
    return make_moderator()


@pytest.fixture
def article(ctx):
    return make_article()


def version_of(article_id):
    db.session.rollback()
    article = db.session.get(Article, article_id)
    return article.version, article.approved_count


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (P, "approve", A),
        (A, "unapprove", P),
        (P, "spam", S),
        (A, "spam", S),
        (S, "not-spam", P),
        (P, "trash", T),
        (A, "trash", T),
        (T, "restore", P),
    ],
)
def test_each_action_moves_the_comment_and_records_who_what_when(mod, article, start, action, end):
    cid = make_comment(article, status=start).id
    before = version_of(article.id)[0]

    outcome = actions.apply([cid], action, mod)

    assert outcome.changed == [cid] and outcome.skipped == []
    assert status_of(cid) is end
    (event,) = events_of(cid)
    assert (event.action, event.from_status, event.to_status) == (action, start.value, end.value)
    assert (event.moderator_id, event.moderator_name) == (mod.id, "mod")
    assert event.created_at is not None
    assert version_of(article.id)[0] > before


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (A, "approve"),
        (S, "approve"),
        (T, "approve"),
        (P, "unapprove"),
        (S, "spam"),
        (P, "not-spam"),
        (T, "trash"),
        (S, "trash"),
        (A, "restore"),
        (P, "delete"),
        (A, "delete"),
    ],
)
def test_an_action_that_does_not_apply_changes_nothing(mod, article, start, action):
    cid = make_comment(article, status=start).id
    before = version_of(article.id)

    outcome = actions.apply([cid], action, mod)

    assert outcome.changed == [] and outcome.skipped == [cid]
    assert status_of(cid) is start
    assert events_of(cid) == []
    assert version_of(article.id) == before


def test_approving_sets_approved_at_and_the_approved_count(mod, article):
    cid = make_comment(article, status=P).id
    actions.apply([cid], "approve", mod)
    db.session.rollback()
    assert db.session.get(Comment, cid).approved_at is not None
    assert version_of(article.id)[1] == 1
    actions.apply([cid], "unapprove", mod)
    assert version_of(article.id)[1] == 0


@pytest.mark.parametrize(("away", "back"), [("spam", "not-spam"), ("trash", "restore")])
def test_not_spam_and_restore_go_back_to_the_status_before(mod, article, away, back):
    approved = make_comment(article, "was approved", status=A).id
    pending = make_comment(article, "was pending", status=P).id
    actions.apply([approved, pending], away, mod)

    outcome = actions.apply([approved, pending], back, mod)

    assert outcome.message == f"2 comments {actions.ACTIONS[back].done}."
    assert status_of(approved) is A and status_of(pending) is P
    assert [(e.action, e.from_status, e.to_status) for e in events_of(approved)] == [
        (away, "approved", away),
        (back, away, "approved"),
    ]
    assert version_of(article.id)[1] == 1


def test_a_comment_that_arrived_as_spam_goes_to_pending(mod, article):
    cid = make_comment(article, status=S, reasons=["honeypot"]).id
    actions.apply([cid], "not-spam", mod)
    assert status_of(cid) is P


@pytest.mark.parametrize("start", [S, T])
def test_delete_permanently_removes_the_comment_and_keeps_the_record(mod, article, start):
    cid = make_comment(article, status=start, author="Gone Soon").id

    outcome = actions.apply([cid], "delete", mod)

    assert outcome.message == "1 comment permanently deleted."
    assert status_of(cid) is None
    event = db.session.scalars(db.select(ModerationEvent).where(ModerationEvent.action == "delete")).one()
    assert event.comment_id is None  # the comment is gone; the record of its deletion is not
    assert (event.from_status, event.to_status) == (start.value, "deleted")
    assert f"#{cid}" in event.detail and "Gone Soon" in event.detail


def test_deleting_a_parent_moves_its_replies_up(mod, article):
    top = make_comment(article, "top", status=A).id
    middle = make_comment(article, "middle", status=T, parent_id=top).id
    reply = make_comment(article, "reply", status=A, parent_id=middle).id

    actions.apply([middle], "delete", mod)

    db.session.rollback()
    assert db.session.get(Comment, reply).parent_id == top


def test_bulk_applies_to_the_comments_it_fits_and_skips_the_rest(mod, article):
    pending = [make_comment(article, f"pending {i}", status=P).id for i in range(3)]
    spam = make_comment(article, status=S).id
    before = version_of(article.id)[0]

    outcome = actions.apply([*pending, spam, 999_999], "approve", mod)

    assert outcome.changed == pending
    assert outcome.skipped == [spam, 999_999]
    assert outcome.message == "3 comments approved."
    assert all(status_of(c) is A for c in pending)
    assert version_of(article.id) == (before + 1, 3)  # one bump per article touched, in one transaction


def test_every_article_touched_is_bumped(mod):
    first, second = make_article("first", "First"), make_article("second", "Second")
    a, b = make_comment(first, status=P).id, make_comment(second, status=P).id
    v1, v2 = version_of(first.id)[0], version_of(second.id)[0]
    actions.apply([a, b], "approve", mod)
    assert version_of(first.id)[0] == v1 + 1 and version_of(second.id)[0] == v2 + 1


def test_unknown_action_is_refused(mod, article):
    with pytest.raises(KeyError):
        actions.apply([make_comment(article, status=P).id], "publish", mod)


def test_available_actions_follow_wordpress():
    labels = {s: [a.label for a in actions.available(s)] for s in CommentStatus}
    assert labels == {
        P: ["Approve", "Spam", "Trash"],
        A: ["Unapprove", "Spam", "Trash"],
        S: ["Not spam", "Delete permanently"],
        T: ["Restore", "Delete permanently"],
    }


def test_edit_cleans_the_text_again_and_records_what_changed(mod, article):
    cid = make_comment(article, status=A, email="ada@example.org").id
    before = version_of(article.id)[0]

    actions.edit(
        db.session.get(Comment, cid),
        "Better <script>alert(1)</script><b>now</b>\n\nsee example.com",
        "Ada L.",
        "ada@example.org",
        "https://ada.example.net/",
        mod,
    )

    db.session.rollback()
    comment = db.session.get(Comment, cid)
    assert "<script" not in comment.html and "<b>now</b>" in comment.html
    assert '<a href="http://example.com" rel="nofollow ugc">' in comment.html
    assert comment.raw_text.startswith("Better <script>")  # the raw text stays as typed
    assert (comment.author_name, comment.author_url) == ("Ada L.", "https://ada.example.net/")
    (event,) = events_of(cid)
    assert event.action == "edit" and event.from_status == event.to_status == "approved"
    assert event.detail == "changed text, name, website"
    assert version_of(article.id)[0] > before


def test_reply_approves_a_pending_parent_and_is_approved_itself(mod, article):
    parent = make_comment(article, "A question?", status=P).id

    answer = actions.reply(db.session.get(Comment, parent), "An <em>answer</em>.", mod, ip="198.51.100.7")

    answer = db.session.get(Comment, answer.id)
    assert answer.status is A and answer.approved_at is not None
    assert (answer.parent_id, answer.article_id, answer.moderator_id) == (parent, article.id, mod.id)
    assert (answer.author_name, answer.author_email) == ("mod", "mod@example.org")
    assert answer.html == "<p>An <em>answer</em>.</p>"
    assert status_of(parent) is A
    assert [(e.action, e.to_status, e.detail) for e in events_of(parent)] == [
        ("approve", "approved", "approved by replying")
    ]
    assert [(e.action, e.from_status, e.to_status) for e in events_of(answer.id)] == [("reply", "", "approved")]
    assert version_of(article.id)[1] == 2


def test_reply_to_an_approved_comment_leaves_the_parent_alone(mod, article):
    parent = make_comment(article, status=A).id
    actions.reply(db.session.get(Comment, parent), "Thanks!", mod)
    assert events_of(parent) == []


def test_a_moderator_without_email_replies_with_an_empty_one(ctx, article):
    mod = make_moderator("quiet", email="")
    answer = actions.reply(make_comment(article, status=P), "Hi.", mod)
    assert db.session.get(Comment, answer.id).author_email == ""


@pytest.mark.parametrize("status", [S, T])
def test_no_reply_to_spam_or_trash(mod, article, status):
    parent = make_comment(article, status=status).id
    with pytest.raises(actions.ActionError):
        actions.reply(db.session.get(Comment, parent), "Hello?", mod)
    assert db.session.scalar(db.select(db.func.count(Comment.id))) == 1
