"""Issue 13, items 6 and 7, in Chromium: highlighted code and resized images on a published article.

One article is published through the real pipeline (Pillow makes the copies, Pygments the spans): a
contents box, large images above its later headings, and a Python block with a line no phone can show.
Its images are held back (never answered, then released) to prove that a contents link lands on its
heading while they load and that nothing moves when they arrive; the code is read in light and dark.
"""

import re

import pytest
from PIL import Image, ImageDraw

from blog.publishing.publish import publish
from tests.browser.conftest import serve
from tests.browser.test_standards import AXE, WATCH_CSP, axe, csp_reports, watched_page
from tests.conftest import app_with_tables, drop_app, nu_errors, require, settings_for

pytestmark = pytest.mark.browser

SLUG = "slow-pictures-and-a-contents-box"
PARAGRAPH = (
    "The ferry left at dawn and the harbour was still grey; the guide counted the crates twice, "
    "wrote the numbers in a notebook with a blue cover, and said nothing until the engines started. "
) * 3
LONG_LINE = "    return greeting  # " + "a comment far wider than any phone held upright could ever show " * 2
ARTICLE = f"""---
title: Slow Pictures and a Contents Box
date: 2024-03-01T09:00:00Z
summary: Large photographs above the later headings, and some code.
---

{PARAGRAPH}

## Getting there

{PARAGRAPH}

![A harbour at dawn, cranes against a pale sky](images/harbour.jpg "The harbour, before the ferries")

{PARAGRAPH}

## The long road

![A ridge under snow](images/ridge.png "The ridge, from the pass")

{PARAGRAPH}

## Code on the way

```python
import os


def greet(name: str, times: int = 2) -> str:
    \"\"\"Say hello, more than once.\"\"\"
    # Nobody is greeted without a name.
    if not name:
        raise ValueError("a name, please")
    greeting = ", ".join(f"Hello, {{name}}!" for _ in range(times)) + os.linesep
{LONG_LINE}
```

{PARAGRAPH}

![A field of wheat, seen from the train](images/field.jpg)

## Where it ends

{PARAGRAPH}

{PARAGRAPH}

{PARAGRAPH}

{PARAGRAPH}
"""
# Wider than the widest copy (1440 px), so every width is made; drawn, so the files stay small.
IMAGES = {"harbour.jpg": (2400, 1600), "ridge.png": (1800, 1800), "field.jpg": (2000, 1000)}
MEDIA = "**/media/**"


def draw(path, size):
    im = Image.new("RGB", size, (70, 110, 150))
    pen = ImageDraw.Draw(im)
    for n in range(0, size[0], 200):
        pen.rectangle((n, size[1] // 3, n + 120, size[1]), fill=(200 - n % 150, 160, 90))
    im.save(path)


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory):
    root = tmp_path_factory.mktemp("reading")
    content = root / "content"
    (content / "images").mkdir(parents=True)
    for name, size in IMAGES.items():
        draw(content / "images" / name, size)
    (content / f"{SLUG}.md").write_text(ARTICLE, encoding="utf-8")
    app = app_with_tables(settings_for(database_url or f"sqlite:///{root / 'blog.sqlite3'}", content))
    try:
        with app.app_context():
            publish(content)
        with serve(app) as url:
            app.config["LIVE_URL"] = url + f"/{SLUG}/"
            yield app
    finally:
        drop_app(app)


@pytest.fixture(params=[(1280, 900), (375, 740)], ids=["1280px", "375px"])
def viewport(request):
    return {"width": request.param[0], "height": request.param[1]}


class HeldImages:
    """Hold every /media/ request unanswered until ``release``, as a very slow connection would."""

    def __init__(self, context):
        self.routes = []
        self.released = False
        context.route(MEDIA, self.hold)

    def hold(self, route):
        self.routes.append(route)
        if self.released:
            route.continue_()

    def release(self):
        self.released = True
        for route in self.routes:
            route.continue_()


# The image boxes of the article, as document offsets: where each starts and how tall it is.
BOXES = """() => [...document.querySelectorAll('.prose img')].map(img => {
  const r = img.getBoundingClientRect();
  return {src: img.getAttribute('src'), top: r.top + scrollY, width: r.width, height: r.height};
})"""
# Resolve once scrolling (smooth, in this theme) has stopped for ten frames in a row.
SETTLED = """() => new Promise(done => {
  let last = null, still = 0;
  const tick = () => {
    still = scrollY === last ? still + 1 : 0;
    last = scrollY;
    if (still >= 10) done(scrollY); else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""
# Every image the browser has started to fetch has arrived and is decoded.
ARRIVED = """() => [...document.querySelectorAll('.prose img')]
  .every(img => !img.currentSrc || (img.complete && img.naturalWidth > 0))"""


def until(page, script, arg=None, polls=300):
    """Poll ``script`` until it is true (the page's CSP forbids the eval wait_for_function uses)."""
    for _ in range(polls):
        if page.evaluate(script, arg):
            return
        page.wait_for_timeout(50)
    pytest.fail(f"never true: {script}")


def open_held(browser, site, viewport, **options):
    context = browser.new_context(viewport=viewport, **options)
    held = HeldImages(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # The load event waits for the images, and these are never answered until released.
    page.goto(site.config["LIVE_URL"], wait_until="domcontentloaded")
    page.evaluate("document.fonts.ready")
    return context, held, page


def heading_position(page, heading_id):
    page.evaluate(SETTLED)
    return page.evaluate(
        "(id) => { const h = document.getElementById(id); const top = h.getBoundingClientRect().top;"
        " return {top, doc: top + scrollY, margin: parseFloat(getComputedStyle(h).scrollMarginTop)}; }",
        heading_id,
    )


# -- 1. a contents link lands on its heading while the images above it are still loading ------------------


def test_contents_link_lands_on_its_heading_while_images_load(browser, site, viewport):
    context, held, page = open_held(browser, site, viewport)
    try:
        links = page.locator(".post__toc nav a")
        assert links.count() == 4
        last = links.nth(3)
        assert last.inner_text() == "Where it ends"
        heading_id = last.get_attribute("href").removeprefix("#")
        boxes_before = page.evaluate(BOXES)
        last.click()
        landed = heading_position(page, heading_id)
        assert page.evaluate("[...document.querySelectorAll('.prose img')].filter(i => i.complete).length") == 0
        assert held.routes, "no image was requested, so none was slow"
        assert abs(landed["top"] - landed["margin"]) <= 2, landed

        held.release()
        # Lazy images near the viewport start loading when the browser gets to them, which on a busy
        # machine may be after the release: wait for one above the heading, then for all requested.
        loaded_above = (
            "(y) => [...document.querySelectorAll('.prose img')]"
            ".filter(i => i.naturalWidth > 0 && i.getBoundingClientRect().top + scrollY < y).length > 0"
        )
        until(page, loaded_above, landed["doc"])  # none would mean nothing was tested
        until(page, ARRIVED)
        after = heading_position(page, heading_id)
        # Nothing moved: not on screen (scroll anchoring could hide that) and not in the document.
        assert abs(after["top"] - landed["top"]) <= 1, (landed, after)
        assert abs(after["doc"] - landed["doc"]) <= 1, (landed, after)
        for box, was in zip(page.evaluate(BOXES), boxes_before, strict=True):
            assert all(abs(box[k] - was[k]) <= 1 for k in ("top", "width", "height")), (was, box)
    finally:
        context.close()


# -- 2. highlighted code: Pygments classes, two palettes, readable, scrolling in its own box ---------------

# Every token's colour against its block's background, both as the eye sees them: a 1 px canvas
# composites the backgrounds from the root down and then the text over them, in whatever colour
# syntax the stylesheet used.
CONTRAST = """(block) => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const pixel = () => ctx.getImageData(0, 0, 1, 1).data.slice(0, 3);
  const paint = colour => { ctx.fillStyle = colour; ctx.fillRect(0, 0, 1, 1); };
  const luminance = rgb => {
    const [r, g, b] = [...rgb].map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  return [...block.querySelectorAll('span')].filter(s => s.textContent.trim()).map(span => {
    const chain = [];
    for (let el = span; el; el = el.parentElement) chain.unshift(el);
    paint('#fff');
    chain.forEach(el => paint(getComputedStyle(el).backgroundColor));
    const background = pixel();
    paint(getComputedStyle(span).color);
    const [a, b] = [luminance(pixel()), luminance(background)];
    return {token: span.className, text: span.textContent, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
  });
}"""


def code_colours(browser, site, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(site.config["LIVE_URL"])
        code = page.locator(".code-wrap pre code.language-python")
        assert code.count() == 1
        assert page.locator(".code-block .code-lang").inner_text() == "Python"
        keyword = code.locator("span.k", has_text="def")
        return {
            "keyword": keyword.evaluate("el => getComputedStyle(el).color"),
            "contrast": code.evaluate(CONTRAST),
            "classes": code.evaluate("c => [...new Set([...c.querySelectorAll('span')].map(s => s.className))]"),
            "styled": page.evaluate("[...document.querySelectorAll('[style]')].map(el => el.outerHTML.slice(0, 80))"),
        }
    finally:
        context.close()


def test_code_is_highlighted_in_a_light_and_a_dark_palette_both_readable(browser, site):
    light, dark = code_colours(browser, site, "light"), code_colours(browser, site, "dark")
    # Pygments' classes: keywords, names of functions, strings, comments, numbers.
    assert {"k", "nf", "s2", "c1", "mi"} <= set(light["classes"])
    assert light["keyword"] != dark["keyword"]
    for scheme, found in (("light", light), ("dark", dark)):
        assert found["styled"] == [], f"style attributes in {scheme} (the CSP forbids them)"
        assert len(found["contrast"]) >= 20
        poor = [(t["token"], t["text"], round(t["ratio"], 2)) for t in found["contrast"] if t["ratio"] < 4.5]
        assert poor == [], f"tokens under 4.5:1 in {scheme} mode"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_long_code_line_scrolls_in_its_own_box_on_a_phone(browser, site, scheme):
    context = browser.new_context(viewport={"width": 375, "height": 740}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(site.config["LIVE_URL"])
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth")
        wrap = page.locator(".code-wrap")
        assert wrap.evaluate("el => el.scrollWidth > el.clientWidth + 100"), "the long line does not overflow"
        # Reached with the keyboard alone, and then scrolled with it.
        for _ in range(80):
            page.keyboard.press("Tab")
            if wrap.evaluate("el => el === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reaches the code block")
        assert wrap.get_attribute("aria-label") == "Python code"
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        until(page, "() => document.querySelector('.code-wrap').scrollLeft > 0")
        assert page.evaluate("scrollX") == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth")
    finally:
        context.close()


# -- 3. srcset: WebP of a fitting width, the box reserved before the bytes arrive --------------------------


def test_images_reserve_their_box_and_load_a_fitting_webp(browser, site, viewport):
    context, held, page = open_held(browser, site, viewport)
    try:
        imgs = page.locator(".prose img")
        assert imgs.count() == len(IMAGES)
        for i in range(imgs.count()):
            img = imgs.nth(i)
            assert img.get_attribute("loading") == "lazy" and img.get_attribute("decoding") == "async"
            assert img.get_attribute("sizes") and img.get_attribute("srcset")
            assert (int(img.get_attribute("width")), int(img.get_attribute("height"))) in IMAGES.values()
            assert img.evaluate("el => el.parentElement.matches('picture')")
            assert img.evaluate("el => el.parentElement.querySelector('source[type=\"image/webp\"]') !== null")
        before = page.evaluate(BOXES)
        for box in before:
            width, height = next(size for name, size in IMAGES.items() if name in box["src"])
            # The ratio of the picture, or the screen's cap (85vh) on a tall one with the width it allows.
            expected = min(box["width"] * height / width, viewport["height"] * 0.85)
            assert box["height"] > 100 and abs(box["height"] - expected) <= 1.5, (box, expected)

        held.release()
        for i in range(imgs.count()):
            imgs.nth(i).scroll_into_view_if_needed()
            imgs.nth(i).evaluate("img => img.decode()")
        loaded = page.evaluate(
            "() => [...document.querySelectorAll('.prose img')]"
            ".map(i => ({src: i.currentSrc, natural: i.naturalWidth}))"
        )
        # The narrowest copy at least as wide as the column: 480 px on a phone, 960 or 1440 on a desktop.
        fitting = (480,) if viewport["width"] < 480 else (960, 1440)
        for image in loaded:
            copy = re.fullmatch(r".*/media/\.sizes/[^/]+-(\d+)\.webp", image["src"])
            assert copy and int(copy[1]) in fitting, f"a {viewport['width']} px screen got {image['src']}"
        # The boxes are where they were, as tall as they were.
        assert [(b["width"], b["height"]) for b in page.evaluate(BOXES)] == [(b["width"], b["height"]) for b in before]
    finally:
        context.close()


# -- 4. the standards: axe-core in both schemes, the Nu checker on the bytes ----------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_article(browser, site, scheme):
    require(AXE.exists(), "axe-core is not installed (npm ci)")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    context.add_init_script(WATCH_CSP)
    page, console = watched_page(context)
    try:
        page.goto(site.config["LIVE_URL"])
        for i in range(page.locator(".prose img").count()):
            page.locator(".prose img").nth(i).scroll_into_view_if_needed()
        assert csp_reports(page, console) == []
        assert axe(page) == []
    finally:
        context.close()


def test_the_nu_checker_finds_no_error(site, tmp_path):
    response = site.test_client().get(f"/{SLUG}/")
    assert response.status_code == 200 and b'class="language-python"' in response.data
    (tmp_path / "article.html").write_bytes(response.data)
    assert nu_errors([tmp_path / "article.html"]) == []
