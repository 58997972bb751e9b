"""The spam filter learns in headless Chromium: readers post three near-same spam comments, a moderator marks
them Spam, a fourth lands in Spam with its reason in the queue, and Not spam moves it back and teaches ham."""

import re

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus
from blog.core.records import SpamModel
from tests.browser.test_admin_browser import sign_in
from tests.factories import make_article, make_moderator

pytestmark = pytest.mark.browser

SLUG = "on-embassies"
SPAM = "Buy cheap watches {n} at watches{n}-cheap.example, free shipping, best prices"


def post(page, base, text, author, email):
    page.goto(f"{base}/{SLUG}/")
    page.fill("#comment", text)
    page.fill("#author", author)
    page.fill("#email", email)
    page.click("#submit")
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    return int(page.url.rsplit("#comment-", 1)[1])


def stored(app, cid):
    with app.app_context():
        comment = db.session.get(Comment, cid)
        return comment.status, comment.reasons, comment.spam_label


def lessons(app):
    with app.app_context():
        return db.session.scalar(sa.select(SpamModel.lessons)) or 0


def test_three_spam_decisions_teach_the_filter_and_not_spam_teaches_it_back(app, live_server, browser):
    with app.app_context():
        make_moderator()
        make_article(SLUG, "On Embassies")
    reader = browser.new_context()
    moderator = browser.new_context()
    try:
        page = reader.new_page()
        ids = [post(page, live_server, SPAM.format(n=n), f"Watches {n}", f"w{n}@example.net") for n in range(3)]
        assert [stored(app, i)[0] for i in ids] == [CommentStatus.PENDING] * 3

        admin = moderator.new_page()
        sign_in(admin, live_server)
        for n in range(3):
            admin.get_by_label(f"Select the comment by Watches {n}", exact=True).check()
        admin.get_by_label("Bulk action").select_option("spam")
        with admin.expect_navigation():
            admin.get_by_role("button", name="Apply").click()
        assert admin.get_by_text("3 comments marked as spam.").is_visible()
        assert lessons(app) == 3

        fourth = post(page, live_server, SPAM.format(n=4), "Watches 4", "w4@example.net")
        status, reasons, _ = stored(app, fourth)
        assert status is CommentStatus.SPAM and reasons[0].startswith("spam score ")

        admin.goto(f"{live_server}/admin/comments?status=spam")
        row = admin.locator(f"#comment-row-{fourth}")
        reason = row.locator(".reason")
        assert reason.is_visible()
        assert re.fullmatch(r"spam score [01]\.\d\d: .+", reason.inner_text())
        assert row.locator(".spam-score").is_visible()
        with admin.expect_navigation():
            row.get_by_role("button", name="Not spam", exact=True).click()
        assert admin.get_by_text("1 comment restored from the spam.").is_visible()
        assert stored(app, fourth)[0] is CommentStatus.PENDING and stored(app, fourth)[2] == "ham"
        assert lessons(app) == 4

        admin.goto(f"{live_server}/admin/comments")  # back in Pending, with its score shown
        assert admin.locator(f"#comment-row-{fourth} .spam-score").is_visible()
    finally:
        reader.close()
        moderator.close()
