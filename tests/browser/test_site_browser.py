"""Search and pages in a real browser, on SQLite and (under TEST_DATABASE_URL) PostgreSQL: a reader types a word
from the body of one article into the header's search box, presses Enter and finds that article with the word
marked in its snippet; the About page is in the header navigation, and in neither the index nor the feed."""

import shutil
import xml.etree.ElementTree as ET

import pytest

from blog.publishing.publish import publish
from tests.conftest import PAGES

pytestmark = pytest.mark.browser

ATOM = {"atom": "http://www.w3.org/2005/Atom"}
# The word is in the body only, past the first paragraph: not in the title, the summary or any other article.
ORCHARD = """---
title: Notes From the Orchard
date: 2024-06-20
summary: A walk between the rows in early summer.
tags: [Travel Notes]
---

The trees were planted in rows of twelve, a metre and a half apart.

By the far wall the old quinces still fruit, though nobody has pruned them in years.
"""


@pytest.fixture
def site(app, twelve):
    """The twelve articles, one about an orchard, and the tests' pages (About has ``nav: 1``)."""
    (twelve / "notes-from-the-orchard.md").write_text(ORCHARD, encoding="utf-8")
    shutil.copytree(PAGES, twelve, dirs_exist_ok=True)
    with app.app_context():
        assert publish(twelve).created == 4  # the orchard, About, Colophon, Imprint
    return twelve


def test_the_header_search_finds_a_word_of_an_article_body_and_marks_it(live_server, page, site):
    page.goto(live_server + "/2024/03/")
    box = page.get_by_role("search").get_by_role("searchbox", name="Search the articles")
    box.fill("quinces")
    with page.expect_navigation() as navigation:
        box.press("Enter")
    assert navigation.value.status == 200
    assert page.url == live_server + "/search/?q=quinces"

    results = page.locator(".search-result")
    assert results.locator(".search-result__title").all_text_contents() == ["Notes From the Orchard"]
    snippet = results.locator(".search-result__snippet")
    assert "nobody has pruned them" in snippet.text_content()
    assert [m.lower() for m in snippet.locator("mark").all_text_contents()] == ["quinces"]
    results.get_by_role("link", name="Notes From the Orchard").click()
    assert page.url == live_server + "/notes-from-the-orchard/"


def test_the_about_page_is_in_the_navigation_not_the_index_or_the_feed(live_server, page, site):
    page.goto(live_server + "/")
    nav = page.get_by_role("navigation", name="Main")
    with page.expect_navigation():
        nav.get_by_role("link", name="About", exact=True).click()
    assert page.url == live_server + "/about/"
    assert "small team of editors" in page.locator("main").text_content()
    assert page.locator("main time").count() == 0  # a page has no date

    listed = []
    for path in ("/", "/page/2/"):
        page.goto(live_server + path)
        listed += page.locator(".entry__title").all_text_contents()
    assert len(listed) == 13 and "About" not in listed and "Notes From the Orchard" in listed

    feed = page.request.get(live_server + "/feed/")
    assert feed.ok
    entries = ET.fromstring(feed.body()).findall("atom:entry", ATOM)
    titles = [e.findtext("atom:title", namespaces=ATOM) for e in entries]
    assert "Notes From the Orchard" in titles and "About" not in titles
    assert not any(link.get("href").endswith("/about/") for e in entries for link in e.findall("atom:link", ATOM))
