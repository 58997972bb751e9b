"""The article page in a real browser: its figures show, and nothing scrolls sideways on a phone."""

import pytest

from tests.factories import make_article

pytestmark = pytest.mark.browser

# A real image the site ships, so the test does not depend on the media route of the pipeline.
IMAGE = "/static/img/apple-touch-icon.png"
FIGURE = (
    '<figure class="wp-caption"><img src="{src}" alt="The site mark, {n}" width="180" height="180" '
    'loading="lazy" decoding="async"><figcaption class="wp-caption-text">Figure {n}</figcaption></figure>'
)
# What makes narrow pages scroll sideways when the styles are careless: wide code, tables, long words.
WIDE_THINGS = (
    "<pre><code>print('a line of code far wider than any phone held upright could show')</code></pre>"
    "<table><thead><tr><th>Setting</th><th>Value</th><th>Why it matters</th></tr></thead><tbody>"
    "<tr><td>measure</td><td>68ch</td><td>https://example.org/a/very/long/address/without/spaces</td></tr>"
    "</tbody></table>"
    "<p>Pneumonoultramicroscopicsilicovolcanoconiosis_and_then_some_more_letters_without_a_break.</p>"
)


@pytest.fixture
def figures_article(app):
    paragraphs = ["<p>" + "A sentence of ordinary length about the embassy. " * 8 + "</p>"] * 3
    figures = [FIGURE.format(src=IMAGE, n=n) for n in (1, 2, 3)]
    body = '<h2 id="one">One</h2>' + "".join(p + f for p, f in zip(paragraphs, figures, strict=True))
    with app.app_context():
        make_article(slug="with-figures", title="Three Figures and a Title", html=body + WIDE_THINGS)
    return "/with-figures/"


@pytest.fixture
def csp_violations(page):
    """Collect the Content-Security-Policy violations Chromium reports on the console."""
    found = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    return found


def test_the_three_figures_are_visible(live_server, page, figures_article, csp_violations):
    response = page.goto(live_server + figures_article)
    assert response.status == 200
    figures = page.locator("article figure")
    assert figures.count() == 3
    for i in range(3):
        figure = figures.nth(i)
        figure.scroll_into_view_if_needed()
        img = figure.locator("img")
        img.evaluate("img => img.decode()")
        assert figure.is_visible()
        box = img.bounding_box()
        assert box["width"] > 0 and box["height"] > 0
        assert img.evaluate("img => img.naturalWidth") == 180
        assert figure.locator("figcaption").inner_text() == f"Figure {i + 1}"
    assert csp_violations == []


@pytest.mark.parametrize("path", ["/with-figures/", "/", "/no-such-page/"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_horizontal_scroll_at_320px(live_server, browser, figures_article, path, scheme):
    context = browser.new_context(viewport={"width": 320, "height": 640}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(live_server + path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a 320px screen"
    finally:
        context.close()


def test_skip_link_appears_on_focus_and_leads_to_main(live_server, page, figures_article):
    page.goto(live_server + figures_article)
    skip = page.locator(".skip-link")
    page.keyboard.press("Tab")
    assert skip.evaluate("el => el === document.activeElement")
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] > 0  # on screen, not parked above it
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
