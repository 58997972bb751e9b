"""The queue's tab counts and comment search stay true whatever writes the comments: moderation one by one
and in bulk, edits, replies, imports, purges, erasure, an article deleted with its comments. The database keeps
both (blog/moderation/counts.py, blog/reading/search.py), so each test checks them against a real COUNT and
a real read of the texts after the change."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, Moderator
from blog.moderation import actions, counts, privacy, queue
from tests.actions import login
from tests.actions import queue as get_queue
from tests.factories import make_article, make_comment, make_moderator, make_wxr, wxr_comment, wxr_item

pytestmark = pytest.mark.usefixtures("fast_hashing")

P, A, S, T = CommentStatus.PENDING, CommentStatus.APPROVED, CommentStatus.SPAM, CommentStatus.TRASH


def true_counts() -> dict[str, int]:
    """Count the comments of each status by reading them all, as the queue must never need to."""
    real = {s.value: 0 for s in CommentStatus}
    real.update(
        (s.value, n) for s, n in db.session.execute(sa.select(Comment.status, sa.func.count()).group_by(Comment.status))
    )
    real["all"] = real["pending"] + real["approved"]
    return real


def assert_counts_true(app) -> dict[str, int]:
    with app.app_context():
        kept = counts.by_status(db.session.connection())
        assert kept == true_counts()
        return kept


@pytest.fixture
def article_id(app):
    with app.app_context():
        make_moderator()
        return make_article().id


@pytest.fixture
def mod(app, article_id):
    with app.app_context():
        return db.session.scalar(sa.select(Moderator))


def comments(app, article_id, *statuses, **kwargs) -> list[int]:
    with app.app_context():
        article = db.session.get(Article, article_id)
        return [make_comment(article, status=s, **kwargs).id for s in statuses]


def test_a_new_database_counts_nothing_and_posting_counts(app, client, article_id):
    assert assert_counts_true(app) == {"pending": 0, "approved": 0, "spam": 0, "trash": 0, "all": 0}
    comments(app, article_id, P, P, A, S)
    assert assert_counts_true(app) == {"pending": 2, "approved": 1, "spam": 1, "trash": 0, "all": 3}


@pytest.mark.parametrize(
    ("start", "action"),
    [(P, "approve"), (A, "unapprove"), (P, "spam"), (S, "not-spam"), (A, "trash"), (T, "restore"), (S, "delete")],
)
def test_every_action_moves_the_counts(app, article_id, mod, start, action):
    ids = comments(app, article_id, start, start, P, A)
    with app.app_context():
        outcome = actions.apply(ids[:2], action, db.session.merge(mod))
        assert len(outcome.changed) == 2
    assert_counts_true(app)


def test_bulk_actions_edits_and_replies_keep_the_counts(app, article_id, mod):
    ids = comments(app, article_id, *[P] * 30, *[A] * 5)
    with app.app_context():
        moderator = db.session.merge(mod)
        actions.apply(ids[:20], "spam", moderator)
        actions.apply(ids[:10], "delete", moderator)
        actions.apply(ids[20:30], "trash", moderator)
        comment = db.session.get(Comment, ids[30])
        actions.edit(comment, "Edited.", "Ann", "", "", moderator, status=S)
        actions.reply(db.session.get(Comment, ids[31]), "Thanks!", moderator)
    assert assert_counts_true(app) == {"pending": 0, "approved": 5, "spam": 11, "trash": 10, "all": 5}


def test_purge_erasure_and_a_deleted_article_keep_the_counts(app, runner, article_id):
    comments(app, article_id, S, T, age=timedelta(days=400))
    comments(app, article_id, P, A, email="erase@example.org")
    assert runner.invoke(args=["comments", "purge"]).output.startswith("Deleted 2 ")
    with app.app_context():
        privacy.erase("erase@example.org", delete_text=True)
    assert_counts_true(app)
    with app.app_context():
        db.session.execute(sa.delete(Article).where(Article.id == article_id))  # its comments go with it
        db.session.commit()
    assert assert_counts_true(app)["all"] == 0


def test_an_import_keeps_the_counts(app, runner, tmp_path, article_id):
    item = wxr_item(
        1,
        "moved",
        comments=(wxr_comment(1, "Imported and approved."), wxr_comment(2, "Imported and held.", approved="0")),
    )
    assert runner.invoke(args=["import", "wxr", str(make_wxr(tmp_path / "in.xml", item))]).exit_code == 0
    assert assert_counts_true(app)["all"] == 2


def test_a_recount_repairs_counts_set_wrong(app, article_id):
    comments(app, article_id, P, A)
    with app.app_context():
        db.session.execute(sa.text(f"UPDATE {counts.TABLE} SET n = 99"))
        counts.recount(db.session.connection())
        db.session.commit()
    assert assert_counts_true(app)["all"] == 2


# -- the search index follows the texts ----------------------------------------------------------------------


def found(app, text, tab="all") -> list[int]:
    with app.app_context():
        return [c.id for c in queue.page(tab, text).items]


def test_the_search_index_follows_edits_erasure_and_deletion(app, article_id, mod):
    first, second = comments(app, article_id, P, A, email="gone@example.org")
    with app.app_context():
        actions.edit(
            db.session.get(Comment, first),
            "Aubergines grow well here.",
            "Ann",
            "gone@example.org",
            "",
            db.session.merge(mod),
        )
    assert found(app, "aubergine") == [first]  # whole words, stemmed: the singular finds the plural
    assert found(app, "auber") == []  # not a part of a word
    assert found(app, "ann aubergines") == [first]  # every word, in the name or the text
    with app.app_context():
        privacy.erase("gone@example.org", delete_text=True)
    assert found(app, "aubergines") == []
    with app.app_context():
        actions.apply([second], "trash", db.session.merge(mod))
        actions.apply([second], "delete", db.session.merge(mod))
    assert found(app, "reader", tab="trash") == []


def test_the_queue_says_what_its_search_matches(app, client, article_id):
    login(client)
    page = get_queue(client).text
    assert 'aria-describedby="search-help"' in page
    assert "whole words of the author’s name or the comment" in page
    assert "a whole email address, or an IP address or its beginning" in page


def test_a_search_of_no_words_finds_nothing(app, client, article_id):
    comments(app, article_id, P)
    login(client)
    page = get_queue(client, q="%%%").text
    assert "No pending comments match “%%%”." in page
