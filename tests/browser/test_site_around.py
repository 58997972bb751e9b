"""The site around the articles in a real browser: a reader walks from the index to page 2, into an
article, along its previous / next links, to a tag page and its feed, and to a month's archive."""

import pytest

pytestmark = pytest.mark.browser


def test_a_reader_walks_the_site_by_its_links(live_server, page, twelve):
    page.goto(live_server + "/")
    assert page.locator(".entry__title").count() == 10
    page.click("a[rel=next]:has-text('Older articles')")
    assert page.url == live_server + "/page/2/"
    assert page.locator(".entry__title").all_text_contents() == ["Article 02", "Article 01"]
    page.click("a[rel=prev]:has-text('Newer articles')")
    assert page.url == live_server + "/"

    page.click("text=Article 05")
    page.click("a[rel=next]")
    assert page.url == live_server + "/article-06/"
    page.click("a[rel=prev]")
    page.click("a[rel=prev]")
    assert page.url == live_server + "/article-04/"

    page.click("a[rel=tag]:has-text('Économie')")
    assert page.url == live_server + "/tag/economie/"
    assert page.locator("h1").text_content() == "Économie"
    assert page.locator(".entry__title").count() == 6
    feed = page.locator("link[rel=alternate][href='/tag/economie/feed/']").get_attribute("href")
    response = page.request.get(live_server + feed)
    assert response.ok and "<feed" in response.text() and "Article 12" in response.text()

    page.goto(live_server + "/2024/04/")
    assert page.locator("h1").text_content() == "April 2024"
    assert page.locator(".entry__title").all_text_contents() == ["Article 04"]
