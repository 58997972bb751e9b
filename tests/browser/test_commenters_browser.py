"""Preview and the edit window in headless Chromium (SPEC §12), with and without JavaScript."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.comments import editing
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus
from tests.browser.test_standards import axe
from tests.conftest import nu_errors
from tests.factories import make_article
from tests.test_notify import free_port

pytestmark = pytest.mark.browser

SLUG = "on-embassies"
TEXT = "Preview me <em>please</em>, https://example.org/x <script>alert(1)</script>"


@pytest.fixture
def site(app, live_server):
    with app.app_context():
        make_article(SLUG, "On Embassies")
    return live_server


@pytest.fixture
def console_errors(page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def fill(page, comment, author="Dora", email="dora@example.org"):
    page.fill("#comment", comment)
    page.fill("#author", author)
    page.fill("#email", email)


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Comment.id)))


def stored(app, cid) -> Comment:
    with app.app_context():
        return db.session.get(Comment, cid)


def check_preview(page):
    preview = page.locator("#comment-preview")
    assert "Preview me please, https://example.org/x" in preview.inner_text()
    assert preview.locator("em").inner_text() == "please"
    assert preview.locator("script").count() == 0
    assert preview.locator('a[href="https://example.org/x"]').get_attribute("rel") == "nofollow ugc"
    assert preview.locator("img.avatar").count() == 1
    assert page.input_value("#comment") == TEXT  # the form keeps the text, to change or post


def test_preview_with_javascript_shows_it_in_place_and_stores_nothing(app, site, page, console_errors):
    page.goto(f"{site}/{SLUG}/")
    fill(page, TEXT)
    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url))
    page.click("#preview")
    page.wait_for_selector("#comment-preview")
    assert loads == []  # no page load: the script showed it
    check_preview(page)
    assert page.evaluate("document.activeElement.id") == "comment-preview"
    # A second preview replaces the first.
    page.fill("#comment", TEXT + " Changed.")
    page.click("#preview")
    page.locator("#comment-preview", has_text="Changed.").wait_for()
    assert page.locator("#comment-preview").count() == 1
    assert count(app) == 0
    assert not console_errors


def test_preview_without_javascript_reshows_the_form(app, site, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{site}/{SLUG}/")
        fill(page, TEXT)
        page.click("#preview")
        page.wait_for_load_state()
        check_preview(page)
        assert count(app) == 0
        page.click("#submit")  # and then post it for real
        page.wait_for_url(re.compile(r"unapproved=\d+"))
        assert count(app) == 1
    finally:
        context.close()


@pytest.fixture
def approving(app_config):
    """Comments are approved unless a rule holds them, so that the rules can be seen deciding again."""
    app_config.update(COMMENT_MODERATION="none", COMMENT_FLOOD_SECONDS=0)


def post(page, site, text):
    page.goto(f"{site}/{SLUG}/")
    fill(page, text, author="Eve", email="eve@example.org")
    page.click("#submit")
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    return int(re.search(r"#comment-(\d+)$", page.url).group(1))


def test_edit_within_the_window_is_checked_by_the_rules_again(approving, app, site, page):
    cid = post(page, site, "Typo in thsi comment.")
    assert stored(app, cid).status is CommentStatus.APPROVED
    item = page.locator(f"#comment-{cid}")
    item.locator("summary").click()
    item.locator("textarea").fill("Fixed, and two links: https://a.example.org/ https://b.example.org/")
    item.locator('input[value="Save changes"]').click()
    page.wait_for_load_state()
    comment = stored(app, cid)
    assert comment.raw_text.startswith("Fixed, and two links")
    assert comment.status is CommentStatus.PENDING and comment.reasons == ["2 links"]
    # Held again: the author sees it awaiting moderation; another reader does not see it at all.
    assert "Your comment is awaiting moderation." in page.inner_text(f"#comment-{cid}")


def test_edit_is_refused_after_the_window_and_from_another_browser(app, site, page, browser, monkeypatch):
    cid = post(page, site, "Too late to mend.")
    form = page.locator(f"#comment-edit-{cid}")
    assert form.count() == 1
    action = form.get_attribute("action")

    later = stored(app, cid).created_at + timedelta(minutes=16)
    monkeypatch.setattr(editing, "utcnow", lambda: later)  # the live server runs in this process
    page.reload()
    assert page.locator(f"#comment-edit-{cid}").count() == 0  # nothing is offered
    # A request made anyway (the form kept from before) is refused.
    answer = page.request.post(f"{site}{action}", form={"comment": "Mended?"})
    assert answer.status == 403
    monkeypatch.undo()

    other = browser.new_context()
    try:
        stranger = other.new_page()
        stranger.goto(page.url)
        assert stranger.locator(f"#comment-edit-{cid}").count() == 0
        assert stranger.request.post(f"{site}{action}", form={"comment": "Hijacked"}).status == 403
    finally:
        other.close()
    assert stored(app, cid).raw_text == "Too late to mend."


@pytest.fixture
def mailing(app_config):
    """A mail server is set (nothing listens: no test here sends), so the form offers the opt-in boxes."""
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_FROM="blog@example.org", MAIL_TIMEOUT=1)


def test_the_new_parts_meet_the_standards(mailing, app, site, page, tmp_path):
    """axe-core and the Nu Html Checker on the form with its opt-in boxes and a preview, the author's
    pending view with the edit form open, and the unsubscribe page."""
    from blog.comments.notices import unsubscribe_token

    pages, problems = {}, {}
    page.goto(f"{site}/{SLUG}/")
    fill(page, TEXT)
    page.check("#subscribe")
    page.click("#preview")
    page.wait_for_selector("#comment-preview")
    problems["preview"] = axe(page)
    pages["preview"] = page.content()

    page.click("#submit")
    page.wait_for_url(re.compile(r"unapproved=\d+"))
    cid = int(re.search(r"unapproved=(\d+)", page.url).group(1))
    page.locator(f"#comment-{cid} summary").click()
    problems["pending view, edit open"] = axe(page)
    pages["pending"] = page.content()

    with app.app_context():
        token = unsubscribe_token(db.session.get(Comment, cid))
    page.goto(f"{site}/unsubscribe/{token}")
    problems["unsubscribe"] = axe(page)
    pages["unsubscribe"] = page.content()
    assert "dora@example.org" not in pages["unsubscribe"]

    for name, html in pages.items():
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    problems["vnu"] = nu_errors(sorted(tmp_path.glob("*.html")))
    assert {k: v for k, v in problems.items() if v} == {}
