"""No script runs, whatever is posted: every payload of xss-payloadbox goes through the Leave a Reply form, is
approved, and is shown in Chromium with the pointer over every comment.

alert, confirm, prompt and print are replaced before any script of the page runs and record their calls,
as does every Content-Security-Policy violation (what the CSP stops got past the sanitizer); a dialog
handler records any dialog that opens anyway; every request to a host other than the blog's is recorded.
Any of them fails the test. A payload that shows nothing once cleaned is refused as an empty comment
(422); its answer, which keeps the text in the form, is checked inert instead. The comment pages hold 500
threads each (COMMENTS_PER_PAGE), so the payloads fit in about ten page loads, which are browsed six at a
time (every pointer move waits for a frame of its page; separate pages wait in parallel).
"""

import asyncio
import math
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, utcnow
from blog.core.sanitize import clean_comment, has_visible_text, normalise_text
from blog.reading.versions import touch_article
from scripts.live import CHROMIUM_ARGS, chromium_path, form_fields
from tests.conftest import corpus, require
from tests.factories import make_article
from tests.test_xss_corpus import problems_in_page

pytestmark = pytest.mark.browser

SLUG = "hostile"
PER_PAGE = 500
PARALLEL = 6
VIEWPORT_HEIGHT = 900
# Runs in every frame before the page's own scripts: whatever a payload calls is recorded, not shown.
TRAP = """
(() => {
  const calls = [];
  Object.defineProperty(window, "__calls", {value: calls});
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = (...args) => { calls.push(name + "(" + args.map(String).join(", ") + ")"); };
  }
  // What the CSP stopped is a payload that got past the sanitizer: a failure too, not a success.
  document.addEventListener("securitypolicyviolation",
    (e) => calls.push(`CSP refused ${e.violatedDirective}: ${e.blockedURI || "inline"} ${e.sample || ""}`));
})();
"""


@pytest.fixture
def app_config(app_config):
    return {**app_config, "COMMENTS_PER_PAGE": PER_PAGE, "COMMENT_FLOOD_SECONDS": 0}


def payloads() -> list[str]:
    return corpus("xss-payloadbox", "xss-payload-list.txt").read_text(encoding="utf-8").splitlines()


def post_all(app, client, lines) -> tuple[list[int], int]:
    """Post every payload through the form's view, as readers would; return the stored ids and how many
    were refused for showing nothing once cleaned (422, the text kept in the form, checked inert there)."""
    form = form_fields(client.get(f"/{SLUG}/").text)  # one reader, one cookie and token for all
    unexpected, empty, used = {}, 0, set()
    for n, line in enumerate(lines):
        # A hundred addresses, so a hundred avatars: the browser's time goes to the payloads, not to drawing.
        # A payload listed twice comes from another address, or it would be refused as a duplicate (409).
        k = n % 100
        while (line.strip(), k) in used:
            k = (k + 1) % 100
        used.add((line.strip(), k))
        data = {**form, "comment": line, "author": f"Poster {n}", "email": f"poster{k}@example.org"}
        response = client.post(f"/{SLUG}/comments", data=data)
        if response.status_code == 303:
            continue
        if response.status_code == 422 and not has_visible_text(clean_comment(normalise_text(line))):
            empty += 1
            assert "Please type your comment text." in response.text
            assert problems_in_page(response.text) == [], line
            continue
        unexpected[line] = response.status_code
    assert unexpected == {}
    with app.app_context():
        return db.session.scalars(sa.select(Comment.id).order_by(Comment.id)).all(), empty


def approve_all(app):
    """Approve everything in one UPDATE (the moderators' bulk action stops at 1,000), then bump the version."""
    with app.app_context():
        db.session.execute(
            sa.update(Comment)
            .where(Comment.status != CommentStatus.APPROVED)
            .values(status=CommentStatus.APPROVED, approved_at=utcnow())
        )
        touch_article(db.session.scalar(sa.select(Article.id).where(Article.slug == SLUG)))
        db.session.commit()


def test_no_payload_runs_script_in_chromium(app, client, live_server, counts):
    path = chromium_path()
    require(path is not None, "Chromium is not installed (apt-get install chromium)")
    lines = payloads()
    assert len(lines) == 6613
    with app.app_context():
        make_article(SLUG, "Hostile input")
    started = time.monotonic()
    ids, empty = post_all(app, client, lines)
    assert len(ids) + empty == len(lines) and len(ids) > len(lines) * 3 // 4
    approve_all(app)
    posted = time.monotonic() - started

    pages = [f"{live_server}/{SLUG}/"] + [
        f"{live_server}/{SLUG}/comment-page-{n}/" for n in range(2, math.ceil(len(ids) / PER_PAGE) + 1)
    ]
    seen = Seen()
    # Each pointer move waits for a frame of its page; pages in contexts of their own move in parallel.
    failure = []

    def run():
        try:
            asyncio.run(browse(path, pages, urlsplit(live_server).netloc, seen))
        except BaseException as error:  # raised again below, in the test's thread
            failure.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    browsing = time.monotonic() - started - posted

    counts["xss: payloads posted"] += len(lines)
    counts["xss: payloads refused as empty once cleaned (422, checked inert)"] += empty
    counts["xss: payloads shown"] += len(seen.shown)
    counts["xss: comment pages opened"] += seen.pages
    counts["xss: comments hovered"] += seen.hovered
    ran = len(seen.calls) + len(seen.dialogs) + len(seen.foreign)
    counts["xss: script calls, CSP violations, dialogs, foreign requests"] += ran
    print(
        f"\nxss: {len(lines)} payloads posted ({empty} refused as empty) and approved in {posted:.0f}s; "
        f"{seen.pages} comment pages opened, "
        f"{len(seen.shown)} comments shown and {seen.hovered} hovered in {browsing:.0f}s"
    )
    assert seen.errors == []
    assert seen.shown == set(ids)
    assert seen.hovered == len(ids)
    assert seen.calls == []
    assert seen.dialogs == []
    assert seen.foreign == []


@dataclass
class Seen:
    pages: int = 0
    hovered: int = 0
    shown: set = field(default_factory=set)
    calls: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)
    foreign: list = field(default_factory=list)
    errors: list = field(default_factory=list)


async def browse(executable: str, urls: list[str], host: str, seen: Seen):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        slots = asyncio.Semaphore(PARALLEL)
        try:
            await asyncio.gather(*(visit(browser, url, host, seen, slots) for url in urls))
        finally:
            await browser.close()


async def visit(browser, url: str, host: str, seen: Seen, slots: asyncio.Semaphore):
    """Open one comment page with the traps set, and move the pointer over every comment on it."""
    async with slots:
        context = await browser.new_context(viewport={"width": 1280, "height": VIEWPORT_HEIGHT})
        await context.add_init_script(TRAP)
        page = await context.new_page()
        page.set_default_timeout(60_000)

        async def on_dialog(dialog):
            seen.dialogs.append(f"{url}: {dialog.type}: {dialog.message}")
            await dialog.dismiss()

        def on_request(request):
            parts = urlsplit(request.url)
            if parts.scheme not in ("data", "blob", "about") and parts.netloc != host:
                seen.foreign.append(f"{url}: {request.url}")

        page.on("dialog", on_dialog)
        page.on("request", on_request)
        try:
            response = await page.goto(url)
            if response.status != 200:
                seen.errors.append(f"{url} answered {response.status}")
            seen.pages += 1
            shown = await page.eval_on_selector_all("li.comment", "els => els.map(el => Number(el.id.slice(8)))")
            seen.shown.update(shown)
            hovered = await hover_every_comment(page)  # awaited first: `x += await ...` would lose updates
            calls = await page.evaluate("window.__calls")
            seen.hovered += hovered
            seen.calls += calls
        finally:
            await context.close()


async def hover_every_comment(page) -> int:
    """Move the pointer over each comment's own box (not its replies), a screenful at a time; return how many."""
    boxes = await page.evaluate(
        """() => [...document.querySelectorAll('li.comment')].map(li => {
             const r = (li.querySelector(':scope > .comment-body') || li).getBoundingClientRect();
             return [r.left + window.scrollX + r.width / 2, r.top + window.scrollY + r.height / 2];
           })"""
    )
    top = None
    for x, y in boxes:
        if top is None or not top + 10 <= y <= top + VIEWPORT_HEIGHT - 10:
            # "instant": the site's smooth scrolling would leave the pointer moving over a page in motion.
            top = await page.evaluate(
                "(y) => { window.scrollTo({top: y, behavior: 'instant'}); return window.scrollY; }", max(0, y - 20)
            )
        await page.mouse.move(x, y - top)
    return len(boxes)


def test_the_traps_record(live_server, page):
    page.context.add_init_script(TRAP)
    page.goto(live_server + "/healthz")
    page.evaluate("() => { alert(1); confirm('sure?'); prompt('name'); print(); }")
    assert page.evaluate("window.__calls") == ["alert(1)", "confirm(sure?)", "prompt(name)", "print()"]
