"""What a reader's browser, feed reader or crawler asks the site for: robots.txt, the favicon, the
feeds a page names, the site-wide comments feed and the sitemap."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from blog.core.models import ArticleStatus, CommentStatus, utcnow
from tests.factories import make_article, make_comment

NS = {"atom": "http://www.w3.org/2005/Atom", "sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_robots_txt_names_the_sitemap_and_keeps_crawlers_out_of_the_admin(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines and "Disallow: /admin/" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines


def test_favicon_ico_is_an_icon(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.content_type == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\0\0\1\0"  # the ICO header
        assert response.cache_control.max_age > 0


def test_every_page_names_its_icons_and_the_feeds_it_belongs_to(app, client):
    with app.app_context():
        make_article(slug="tagged", tags=["Craft"])
    page = client.get("/tagged/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico" sizes="48x48">' in page
    assert 'type="image/svg+xml"' in page
    for feed in ("/feed/", "/comments/feed/", "/tagged/feed/"):
        assert re.search(f'<link rel="alternate" type="application/atom\\+xml" title="[^"]+" href="{feed}">', page)
    assert '<a href="/comments/feed/">Comments feed</a>' in page  # in the footer
    tag_page = client.get("/tag/craft/").get_data(as_text=True)
    assert 'rel="alternate" type="application/atom+xml" title="Craft: ' in tag_page


@pytest.fixture
def commented(app):
    now = utcnow()
    with app.app_context():
        first = make_article(slug="first", title="First")
        second = make_article(slug="second", title="Second")
        hidden = make_article(slug="hidden", status=ArticleStatus.DRAFT)
        make_comment(first, author_name="Old", created_at=now - timedelta(hours=3))
        make_comment(second, author_name="New", created_at=now - timedelta(hours=1), author_email="new@example.org")
        make_comment(first, author_name="Held", status=CommentStatus.PENDING)
        make_comment(first, author_name="Junk", status=CommentStatus.SPAM)
        make_comment(hidden, author_name="On a draft")


def test_comments_feed_has_the_approved_comments_of_public_articles_newest_first(client, commented):
    response = client.get("/comments/feed/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.data)
    entries = feed.findall("atom:entry", NS)
    titles = [e.findtext("atom:title", namespaces=NS) for e in entries]
    assert titles == ["Comment on Second by New", "Comment on First by Old"]
    assert entries[0].find("atom:link", NS).get("href").startswith("http://localhost/second/#comment-")
    assert feed.find("atom:link[@rel='self']", NS).get("href") == "http://localhost/comments/feed/"
    text = response.get_data(as_text=True)
    assert "example.org" not in text and "203.0.113.7" not in text and "TestBrowser" not in text


def test_comments_feed_holds_the_newest_fifty(app, client):
    start = utcnow() - timedelta(days=1)
    with app.app_context():
        article = make_article(slug="busy")
        for i in range(55):
            make_comment(article, author_name=f"R{i:02d}", created_at=start + timedelta(minutes=i))
    entries = ET.fromstring(client.get("/comments/feed/").data).findall("atom:entry", NS)
    names = [e.findtext("atom:author/atom:name", namespaces=NS) for e in entries]
    assert names == [f"R{i:02d}" for i in range(54, 4, -1)]


def test_comments_feed_of_a_quiet_blog_is_an_empty_feed(client):
    feed = ET.fromstring(client.get("/comments/feed/").data)
    assert feed.findall("atom:entry", NS) == [] and feed.findtext("atom:updated", namespaces=NS).endswith("Z")


def test_sitemap_lists_tags_and_archives_once_each(app, client):
    with app.app_context():
        make_article(slug="a", tags=["Travel Notes", "Économie"], published_at=datetime(2024, 3, 5, tzinfo=UTC))
        make_article(slug="b", tags=["travel notes"], published_at=datetime(2024, 4, 5, tzinfo=UTC))
        make_article(
            slug="d", tags=["secret"], published_at=datetime(2022, 1, 5, tzinfo=UTC), status=ArticleStatus.DRAFT
        )
    urlset = ET.fromstring(client.get("/sitemap.xml").data)
    locs = [u.findtext("sm:loc", namespaces=NS) for u in urlset.findall("sm:url", NS)]
    assert locs == [
        "http://localhost/",
        "http://localhost/b/",
        "http://localhost/a/",
        "http://localhost/tag/travel-notes/",
        "http://localhost/tag/economie/",
        "http://localhost/2024/",
        "http://localhost/2024/04/",
        "http://localhost/2024/03/",
    ]
