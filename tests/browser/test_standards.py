"""Every kind of page, held to the standards in a real browser: axe-core finds nothing (WCAG 2.0/2.1 A and AA),
the Nu Html Checker finds no error, and Chromium reports no Content-Security-Policy violation.

The pages: the index and its page 2, the article with sixty approved comments in threads, highlighted code
and figures with srcset, the article after a failed post, the pending view, the other articles, the About page
(in the navigation) and a page with comments open, a tag page, a month and a year archive, the search form, a
search with results and one with an absurd query, the 404 page, the admin login and the login after a failed
sign-in, every tab of the admin queue, and the edit and reply pages; at 1280 px in light and dark, and the
reader pages at 375 px too. The feeds are XML: they parse, and carry no commenter's email.
"""

import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from scripts.live import form_token
from tests.actions import login
from tests.browser import site as blog
from tests.browser.conftest import serve
from tests.conftest import ROOT, drop_app, nu_errors, require
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Recorded in the page before any of its own scripts run; evaluate() (axe) is not subject to the CSP.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(
  `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""
FAILED_POST = {"comment": "", "author": "", "email": "not-an-email", "url": "javascript:alert(1)"}
# The header's search form comes first on every page: its button is not the one that signs in.
SIGN_IN = ".login-card button[type=submit]"
FAILED_SIGN_IN = {"username": "mod", "password": "not the password"}
# Markup, an FTS5 operator and far more than the 200 characters a search uses.
ABSURD_QUERY = "/search/?q=" + quote('<script>alert(1)</script> NEAR("' + "a" * 500)
FEEDS = ("/feed/", "/comments/feed/", "/tag/north-korea/feed/", f"/{blog.SLUG}/feed/")


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    # Two articles a page, so that the index and a tag have a second page and the Newer / Older links.
    app = blog.make_app(database_url, tmp_path_factory.mktemp("standards"), ARTICLES_PER_PAGE=2)
    try:
        built = blog.build(app)
        with serve(app) as url:
            built.url = url
            yield built
    finally:
        drop_app(app)


def reader_pages(site) -> dict[str, str]:
    article = f"/{blog.SLUG}/"
    return {
        "index": "/",
        "index page 2": "/page/2/",
        "article": article,
        "pending view": site.pending_location.split("#")[0],
        "reply view (?replytocom)": f"{article}?replytocom={site.approved[0]}",
        **{f"article {slug}": f"/{slug}/" for slug in blog.OTHER_SLUGS},
        "about page": "/about/",
        "page with comments open": "/colophon/",
        "tag": "/tag/north-korea/",
        "month archive": "/2024/05/",
        "year archive": "/2024/",
        "404": "/no-such-article/",
        "search form": "/search/?q=",
        "search results": "/search/?q=blog",
        "search, nothing found": "/search/?q=%22NEAR(%3Cb%3E",
        "search, absurd query": ABSURD_QUERY,
    }


def admin_pages(site) -> dict[str, str]:
    tabs = {f"queue {tab}": f"/admin/comments?status={tab}" for tab in ("pending", "approved", "spam", "trash", "all")}
    return {
        **tabs,
        "queue search": "/admin/comments?status=all&q=example",
        "edit": f"/admin/comments/{site.pending}/edit",
        "reply": f"/admin/comments/{site.pending}/reply",
    }


# -- in Chromium -------------------------------------------------------------------------------------------


def axe(page) -> list[str]:
    require(AXE.exists(), "axe-core is not installed (npm ci)")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(f"{n['target']} {n['failureSummary']}" for n in v["nodes"][:5])
        for v in result["violations"]
    ]


def csp_reports(page, console) -> list[str]:
    return page.evaluate("window.__csp") + [m for m in console if "Content Security Policy" in m]


def watched_page(context):
    page = context.new_page()
    page.set_default_timeout(15_000)
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(f"script error: {e}"))
    return page, console


def check_page(page, console, label, url, found, counts, expect_status=200):
    response = page.goto(url)
    assert response.status == expect_status, (label, response.status)
    record(page, console, label, found, counts)


def record(page, console, label, found, counts):
    problems = [f"CSP: {c}" for c in csp_reports(page, console)] + axe(page)
    console.clear()
    counts["axe: pages checked"] += 1
    counts["axe: violations"] += sum(not p.startswith("CSP:") for p in problems)
    counts["CSP violations in Chromium"] += sum(p.startswith("CSP:") for p in problems)
    if problems:
        found[label] = problems


def failed_post(page, site) -> dict:
    """Post the form with every field wrong; return what a screen reader user would meet."""
    page.goto(f"{site.url}/{blog.SLUG}/#respond")
    for name, value in FAILED_POST.items():
        page.fill(f"#{name}", value)
    with page.expect_navigation() as navigation:
        page.click("#submit")
    assert navigation.value.status == 422
    page.wait_for_function("document.activeElement && document.activeElement.id === 'comment-error-summary'")
    return page.evaluate(
        """() => [...document.querySelectorAll('#commentform [aria-invalid="true"]')].map(field => ({
             id: field.id,
             described: (field.getAttribute('aria-describedby') || '').split(/\\s+/)
               .map(id => document.getElementById(id)).filter(Boolean).map(el => el.textContent.trim()),
             label: field.labels.length ? field.labels[0].textContent.trim() : null,
             message: (document.getElementById(field.id + '-error') || {}).textContent,
             summary: [...document.querySelectorAll('#comment-error-summary a')]
               .filter(a => a.getAttribute('href') === '#' + field.id).map(a => a.textContent.trim()),
           }))"""
    )


def failed_sign_in(page) -> dict:
    """Sign in with a wrong password; return where focus went and which fields are marked, and by what."""
    for name, value in FAILED_SIGN_IN.items():
        page.fill(f"#{name}", value)
    with page.expect_navigation() as navigation:
        page.click(SIGN_IN)
    assert navigation.value.status == 200
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'login-error'")
    return page.evaluate(
        """() => ({
             focused: document.activeElement.id,
             invalid: [...document.querySelectorAll('[aria-invalid="true"]')].map(field => field.id),
             described: [...new Set([...document.querySelectorAll('[aria-invalid="true"]')]
               .map(field => field.getAttribute('aria-describedby')))].join(' '),
           })"""
    )


def focus_is_visible(page, stops=25) -> list[str]:
    """Tab through the first ``stops`` focusable elements; return those that show no focus indicator."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    invisible = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        shown = page.evaluate(
            """() => {
                 const el = document.activeElement;
                 if (!el || el === document.body) return null;
                 const s = getComputedStyle(el);
                 const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
                 return outline || s.boxShadow !== 'none' ? '' : el.outerHTML.slice(0, 120);
               }"""
        )
        if shown is None:
            break
        if shown:
            invisible.append(shown)
    return invisible


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_and_the_csp_find_nothing(site, browser, scheme, counts):
    require(AXE.exists(), "axe-core is not installed (npm ci)")
    found = {}
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        context.add_init_script(WATCH_CSP)
        page, console = watched_page(context)
        for label, path in reader_pages(site).items():
            status = 404 if label == "404" else 200
            check_page(page, console, f"{label} @{width}", site.url + path, found, counts, status)

        errors = failed_post(page, site)
        assert [e["id"] for e in errors] == ["comment", "author", "email", "url"]
        for error in errors:
            assert error["label"], error
            # Its message is read with it (first, before the email's note), and listed in the summary.
            assert error["message"] and error["described"][0] == error["message"].strip(), error
            assert error["summary"] == [error["message"].strip()], error
        record(page, console, f"failed post @{width}", found, counts)
        context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    context.add_init_script(WATCH_CSP)
    page, console = watched_page(context)
    check_page(page, console, "admin login", site.url + "/admin/login", found, counts)
    refused = failed_sign_in(page)
    assert refused == {"focused": "login-error", "invalid": ["username", "password"], "described": "login-error"}
    record(page, console, "failed sign-in", found, counts)
    page.fill("#username", "mod")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click(SIGN_IN)
    assert page.url == site.url + "/admin/comments"  # signed in: the admin pages below are what is checked
    for label, path in admin_pages(site).items():
        check_page(page, console, label, site.url + path, found, counts)
    context.close()
    assert found == {}


def test_skip_link_labels_and_visible_focus(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page, _ = watched_page(context)
    try:
        for path in ("/", f"/{blog.SLUG}/", "/admin/login"):
            page.goto(site.url + path)
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.getAttribute('href')") == "#main", path
            assert page.locator(".skip-link").is_visible()
            # Every field a person fills in has a label (the honeypot is hidden from people and from AT).
            unlabelled = page.evaluate(
                """() => [...document.querySelectorAll(
                         'input:not([type=hidden], [type=submit], [type=button]), textarea, select')]
                     .filter(f => !f.closest('[aria-hidden=true]') && !f.labels.length && !f.getAttribute('aria-label'))
                     .map(f => f.outerHTML)"""
            )
            assert unlabelled == [], path
            assert focus_is_visible(page) == [], path
    finally:
        context.close()


# -- the Nu Html Checker, on the server's own bytes ---------------------------------------------------------


def test_the_html_is_valid(site, tmp_path, counts):
    reader = site.app.test_client()
    documents = {}
    for label, path in reader_pages(site).items():
        response = reader.get(path)
        assert response.status_code == (404 if label == "404" else 200), label
        documents[label] = response.data
    form = form_token(reader.get(f"/{blog.SLUG}/").text)
    failed = reader.post(f"/{blog.SLUG}/comments", data={**FAILED_POST, "csrf_token": form, "comment_parent": "0"})
    assert failed.status_code == 422
    documents["failed post"] = failed.data
    moderator = site.app.test_client()
    documents["admin login"] = moderator.get("/admin/login").data
    refused = moderator.post(
        "/admin/login", data={**FAILED_SIGN_IN, "csrf_token": form_token(moderator.get("/admin/login").text)}
    )
    assert refused.status_code == 200 and b'role="alert"' in refused.data
    documents["failed sign-in"] = refused.data
    assert login(moderator).status_code == 303
    for label, path in admin_pages(site).items():
        response = moderator.get(path)
        assert response.status_code == 200, label
        documents[label] = response.data

    names = {}
    for n, (label, html) in enumerate(documents.items()):
        names[f"page{n}.html"] = label
        (tmp_path / f"page{n}.html").write_bytes(html)
    errors = [f"{names.get(name, name)} {message}" for name, message in nu_errors(sorted(tmp_path.glob("*.html")))]
    counts["vnu: pages checked"] += len(documents)
    counts["vnu: errors"] += len(errors)
    assert errors == []


def test_the_checked_pages_hold_what_they_stand_for(site):
    """The list above checks a page of each kind only if each page really shows that kind."""
    reader = site.app.test_client()
    article = reader.get(f"/{blog.SLUG}/").text
    assert '<pre><code class="language-' in article and '<span class="' in article  # highlighted code
    figures = reader.get(f"/{blog.OTHER_SLUGS[0]}/").text
    assert "<figure" in figures and 'srcset="' in figures and ".webp" in figures  # responsive figures
    index = reader.get("/").text
    nav = index[index.index('<nav class="site-nav"') : index.index("</nav>")]
    assert 'href="/about/"' in nav and 'href="/about/"' not in index[index.index("<main") :]
    assert 'name="comment"' in reader.get("/colophon/").text and 'name="comment"' not in reader.get("/about/").text
    assert "<mark>" in reader.get("/search/?q=blog").text
    assert "<script>alert(1)" not in reader.get(ABSURD_QUERY).text


@pytest.mark.parametrize("path", FEEDS)
def test_the_feeds_parse_and_carry_no_email(site, path):
    response = site.app.test_client().get(path)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.find("{http://www.w3.org/2005/Atom}entry") is not None
    assert "@example.org" not in response.text  # sixty commenters left their addresses on the article


def test_the_detectors_detect(site, browser):
    """axe and the CSP watcher are live: an unlabelled field and an inline script are both reported."""
    context = browser.new_context()
    context.add_init_script(WATCH_CSP)
    page, console = watched_page(context)
    try:
        page.goto(site.url + "/")
        page.evaluate(
            """() => {
                 document.querySelector('main').append(document.createElement('input'));
                 const script = document.createElement('script');
                 script.textContent = 'window.ran = true';
                 document.body.append(script);
               }"""
        )
        assert any(v.startswith("label ") for v in axe(page))
        page.wait_for_function("window.__csp.length > 0")
        assert page.evaluate("window.ran") is None
        assert csp_reports(page, console)
    finally:
        context.close()
