"""Without JavaScript, the whole blog still works: reading, paging the comments, posting, replying, and
moderating (sign in, approve from a row, approve in bulk), in a Chromium context with scripts off."""

import re

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus, Moderator
from blog.moderation import actions
from blog.publishing.publish import publish
from tests.actions import location_ids, post_comment
from tests.factories import PASSWORD, make_moderator

pytestmark = pytest.mark.browser

SLUG = "writing-for-the-web"
TITLE = "Writing for the Web Is Writing for Skimmers"


@pytest.fixture
def app_config(app_config, seed_content):
    return {**app_config, "COMMENTS_PER_PAGE": 2}


@pytest.fixture
def blog(app, client, fast_hashing):
    """The tests' site, a moderator, and three approved threads (two comment pages) posted by readers."""
    with app.app_context():
        publish(app.config["CONTENT_DIR"])
        make_moderator()
        moderator = db.session.scalar(sa.select(Moderator))
        for n, name in enumerate(["Ines", "Jonas", "Kofi"]):
            response = post_comment(
                client, SLUG, f"Thread {n + 1}, from {name}.", author=name, email=f"{name.lower()}@example.org"
            )
            actions.apply([location_ids(response)[0]], "approve", moderator)
    return app


def status_of(app, text):
    with app.app_context():
        return db.session.scalar(sa.select(Comment.status).where(Comment.raw_text == text))


@pytest.fixture
def no_js(browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def submit(page, selector="#submit"):
    with page.expect_navigation() as navigation:
        page.click(selector)
    return navigation.value


def test_read_post_reply_and_moderate_without_javascript(blog, live_server, no_js, browser):
    page = no_js

    # Reading: from the front page to the article, and on to the second page of comments.
    page.goto(live_server + "/")
    with page.expect_navigation():
        page.get_by_role("link", name=TITLE, exact=True).click()
    assert page.url == f"{live_server}/{SLUG}/"
    assert page.locator("h1").inner_text() == TITLE
    assert page.locator("li.comment").count() == 2
    with page.expect_navigation():
        page.get_by_role("link", name="Newer comments").click()
    assert "/comment-page-2/" in page.url
    assert page.locator(".comment-content").all_inner_texts() == ["Thread 3, from Kofi."]

    # Posting: a mistake first (422, the messages by their fields), then the comment.
    page.goto(f"{live_server}/{SLUG}/")
    page.fill("#author", "Lena")
    page.fill("#email", "lena@example")
    assert submit(page).status == 422
    assert page.locator("#comment-error").inner_text() == "Please type your comment text."
    assert page.locator("#email-error").inner_text() == "Please enter a valid email address."
    assert page.locator("#comment-error-summary").is_visible()
    assert page.input_value("#author") == "Lena"
    page.fill("#comment", "A comment posted with scripts off.")
    page.fill("#email", "lena@example.org")
    assert submit(page).status == 200  # after the 303
    assert re.search(r"\?unapproved=\d+&moderation-hash=[0-9a-f]+#comment-\d+$", page.url)
    assert "Your comment is awaiting moderation." in page.locator("li.comment-pending").inner_text()

    # Replying: the Reply link is a plain link to ?replytocom=ID, where the server puts the form.
    page.goto(f"{live_server}/{SLUG}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Reply to Ines").click()
    assert re.search(r"\?replytocom=\d+#respond$", page.url)
    assert page.inner_text("#reply-title-text") == "Leave a Reply to Ines"
    page.fill("#comment", "A reply posted with scripts off.")
    page.fill("#author", "Mateo")
    page.fill("#email", "mateo@example.org")
    submit(page)
    assert (
        "Your comment is awaiting moderation." in page.locator("li.comment .children li.comment-pending").inner_text()
    )

    # Moderating: sign in, approve one from its row, the other in bulk.
    moderator = browser.new_context(java_script_enabled=False).new_page()
    try:
        moderator.goto(live_server + "/admin/comments")
        moderator.fill("#username", "mod")
        moderator.fill("#password", PASSWORD)
        submit(moderator, ".login-card button[type=submit]")  # not the header's search button
        assert moderator.url == live_server + "/admin/comments"
        row = moderator.locator(".comment-row", has_text="A comment posted with scripts off.")
        with moderator.expect_navigation():
            row.get_by_role("button", name="Approve", exact=True).click()
        assert moderator.get_by_role("status").inner_text() == "1 comment approved."
        moderator.get_by_label("Select the comment by Mateo").check()
        moderator.get_by_label("Bulk action").select_option("approve")
        with moderator.expect_navigation():
            moderator.get_by_role("button", name="Apply").click()
        assert moderator.get_by_role("status").inner_text() == "1 comment approved."
        assert "No comments awaiting moderation." in moderator.inner_text("main")
    finally:
        moderator.context.close()
    assert status_of(blog, "A comment posted with scripts off.") is CommentStatus.APPROVED
    assert status_of(blog, "A reply posted with scripts off.") is CommentStatus.APPROVED

    # The reader sees both, the reply under Ines's comment.
    page.goto(f"{live_server}/{SLUG}/")
    assert "A reply posted with scripts off." in page.locator("li.comment", has_text="Thread 1").inner_text()
    page.goto(f"{live_server}/{SLUG}/comment-page-2/")
    assert "A comment posted with scripts off." in page.inner_text("#comments")
