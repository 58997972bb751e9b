"""Leave a Reply in headless Chromium: post, see the error beside the field, reply with and without JS."""

import re

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Comment
from tests.factories import make_article, make_comment

pytestmark = pytest.mark.browser

SLUG = "on-embassies"


@pytest.fixture
def site(app, live_server):
    """The live server with one article and one approved comment; yields (base URL, comment id)."""
    with app.app_context():
        article = make_article(SLUG, "On Embassies")
        comment = make_comment(article, "An approved thought.", author="Grace")
        return live_server, comment.id


@pytest.fixture
def csp_errors(page):
    """Console errors a Content-Security-Policy violation would cause (inline script or style)."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def fill(page, comment="", author="Ada Reader", email="ada@example.org"):
    page.fill("#comment", comment)
    page.fill("#author", author)
    page.fill("#email", email)


def stored(app, text):
    with app.app_context():
        return db.session.scalars(sa.select(Comment).where(Comment.raw_text == text)).one()


def test_post_a_comment_and_see_it_awaiting_moderation(site, page, csp_errors):
    base, _ = site
    page.goto(f"{base}/{SLUG}/")
    fill(page, "A first thought about the embassy.")
    page.click("#submit")
    page.wait_for_url(re.compile(r"\?unapproved=\d+&moderation-hash=[0-9a-f]+#comment-\d+$"))
    pending = page.locator("li.comment-pending")
    assert "A first thought about the embassy." in pending.inner_text()
    assert "Your comment is awaiting moderation." in pending.inner_text()
    assert not [e for e in csp_errors if "Content Security Policy" in e]


def test_bad_email_shows_the_error_beside_the_field_and_keeps_the_text(site, page):
    base, _ = site
    page.goto(f"{base}/{SLUG}/")
    typed = "This text must survive a validation error, every word of it."
    fill(page, typed, email="not-an-email")
    page.click("#submit")
    page.wait_for_load_state()
    error = page.locator("#email-error")
    assert error.inner_text() == "Please enter a valid email address."
    # Beside the field: in the email field's paragraph, and named by the input's aria-describedby.
    assert page.locator("p.comment-form-email #email-error").count() == 1
    assert "email-error" in page.get_attribute("#email", "aria-describedby")
    assert page.input_value("#comment") == typed
    assert page.input_value("#email") == "not-an-email"
    assert page.input_value("#author") == "Ada Reader"
    # Our script moves the focus to the error summary, so it is seen and read out.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'comment-error-summary'")
    summary = page.locator("#comment-error-summary")
    assert "Please enter a valid email address." in summary.inner_text()
    summary.locator("a[href='#email']").click()
    assert page.evaluate("location.hash") == "#email"


def test_reply_with_javascript_moves_the_form(app, site, page, csp_errors):
    base, parent_id = site
    page.goto(f"{base}/{SLUG}/")
    url = page.url
    assert page.is_hidden("#cancel-comment-reply-link")
    page.click(f"#comment-{parent_id} .comment-reply-link")
    assert page.url == url  # no page load: the script moved the form
    assert page.locator(f"#comment-{parent_id} #respond").count() == 1
    assert page.input_value("#comment_parent") == str(parent_id)
    assert page.inner_text("#reply-title-text") == "Leave a Reply to Grace"
    assert page.is_visible("#cancel-comment-reply-link")
    assert page.evaluate("document.activeElement.id") == "comment"

    # Cancel puts it back.
    page.click("#cancel-comment-reply-link")
    assert page.locator(f"#comment-{parent_id} #respond").count() == 0
    assert page.input_value("#comment_parent") == "0"
    assert page.inner_text("#reply-title-text") == "Leave a Reply"
    assert page.is_hidden("#cancel-comment-reply-link")

    # Reply for real.
    page.click(f"#comment-{parent_id} .comment-reply-link")
    fill(page, "A reply, moved by the script.")
    page.click("#submit")
    page.wait_for_url(re.compile(r"unapproved="))
    assert page.locator(f"#comment-{parent_id} ol.children li.comment-pending").count() == 1
    assert stored(app, "A reply, moved by the script.").parent_id == parent_id
    assert not [e for e in csp_errors if "Content Security Policy" in e]


def test_reply_without_javascript(app, site, browser):
    base, parent_id = site
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{base}/{SLUG}/")
        page.click(f"#comment-{parent_id} .comment-reply-link")
        page.wait_for_url(re.compile(rf"\?replytocom={parent_id}#respond$"))
        assert page.locator(f"#comment-{parent_id} #respond").count() == 1
        assert page.input_value("#comment_parent") == str(parent_id)
        assert page.inner_text("#reply-title-text") == "Leave a Reply to Grace"
        assert page.is_visible("#cancel-comment-reply-link")
        fill(page, "A reply without any script.")
        page.click("#submit")
        page.wait_for_url(re.compile(r"unapproved="))
        assert "Your comment is awaiting moderation." in page.inner_text(f"#comment-{parent_id}")
        assert stored(app, "A reply without any script.").parent_id == parent_id
        # Cancel reply is a plain link back to the article.
        page.goto(f"{base}/{SLUG}/?replytocom={parent_id}")
        page.click("#cancel-comment-reply-link")
        page.wait_for_load_state()
        assert page.input_value("#comment_parent") == "0"
    finally:
        context.close()
