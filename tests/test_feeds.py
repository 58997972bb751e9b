"""The Atom feeds of articles and of comments, and the sitemap."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from blog.comments.threads import comment_pages
from blog.core.models import ArticleStatus, CommentStatus, utcnow
from tests.factories import make_article, make_comment

NS = {"atom": "http://www.w3.org/2005/Atom", "sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def parse(response) -> ET.Element:
    assert response.status_code == 200
    return ET.fromstring(response.data)


@pytest.fixture
def articles(app):
    now = utcnow()
    with app.app_context():
        make_article(
            slug="older",
            title="Older & Wiser",
            author="Ada",
            tags=["craft"],
            published_at=now - timedelta(days=2),
            html='<p>Body with <a href="/x/">a link</a> &amp; more.</p>',
        )
        make_article(slug="newer", title="Newer", published_at=now - timedelta(days=1))
        make_article(slug="draft", title="Draft", status=ArticleStatus.DRAFT)
        make_article(slug="future", title="Future", published_at=now + timedelta(days=1))


# /feed/ -------------------------------------------------------------------------------------------


def test_feed_is_atom_with_public_articles_newest_first(client, articles):
    response = client.get("/feed/")
    assert response.content_type == "application/atom+xml; charset=utf-8"
    feed = parse(response)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.findtext("atom:title", namespaces=NS) == "Field Notes"
    assert feed.find("atom:link[@rel='self']", NS).get("href") == "http://localhost/feed/"
    assert feed.findtext("atom:updated", namespaces=NS).endswith("Z")
    entries = feed.findall("atom:entry", NS)
    assert [e.findtext("atom:title", namespaces=NS) for e in entries] == ["Newer", "Older & Wiser"]


def test_feed_entry_fields(client, articles):
    feed = parse(client.get("/feed/"))
    entry = feed.findall("atom:entry", NS)[1]
    assert entry.find("atom:link", NS).get("href") == "http://localhost/older/"
    assert entry.findtext("atom:id", namespaces=NS) == "http://localhost/older/"
    assert entry.findtext("atom:author/atom:name", namespaces=NS) == "Ada"
    assert entry.findtext("atom:published", namespaces=NS).endswith("Z")
    assert entry.findtext("atom:updated", namespaces=NS).endswith("Z")
    assert entry.find("atom:category", NS).get("term") == "craft"
    assert entry.findtext("atom:summary", namespaces=NS).startswith("The summary of article")
    content = entry.find("atom:content", NS)
    assert content.get("type") == "html"
    # escaped once in the XML, so a reader gets the article's own HTML back
    assert content.text == '<p>Body with <a href="/x/">a link</a> &amp; more.</p>'


def test_empty_feed_is_still_valid(client):
    feed = parse(client.get("/feed/"))
    assert feed.findall("atom:entry", NS) == []
    assert feed.findtext("atom:updated", namespaces=NS)


# /<slug>/feed/ ------------------------------------------------------------------------------------


@pytest.fixture
def discussed(app):
    """An article with two approved comments, and a pending, a spam and a trashed one."""
    with app.app_context():
        article = make_article(slug="discussed", title="Discussed")
        make_comment(
            article,
            author_name="First Reader",
            author_email="first@example.org",
            html="<p>I <strong>agree</strong>.</p>",
            created_at=utcnow() - timedelta(hours=2),
        )
        make_comment(
            article,
            author_name="Second Reader",
            author_email="second@example.org",
            author_url="https://second.example",
            html="<p>Me too.</p>",
        )
        for status in (CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.TRASH):
            make_comment(
                article,
                status=status,
                author_name=f"Hidden {status.value}",
                author_email=f"{status.value}@example.org",
                html=f"<p>{status.value} text</p>",
            )
        other = make_article(slug="elsewhere")
        make_comment(other, author_name="Elsewhere Reader", html="<p>Wrong article.</p>")
    return "discussed"


def test_comment_feed_has_the_approved_comments_newest_first(client, discussed):
    response = client.get(f"/{discussed}/feed/")
    assert response.content_type == "application/atom+xml; charset=utf-8"
    feed = parse(response)
    assert feed.findtext("atom:title", namespaces=NS) == "Comments on: Discussed"
    entries = feed.findall("atom:entry", NS)
    assert [e.findtext("atom:author/atom:name", namespaces=NS) for e in entries] == [
        "Second Reader",
        "First Reader",
    ]
    assert entries[0].findtext("atom:title", namespaces=NS) == "By: Second Reader"
    assert entries[1].find("atom:content", NS).text == "<p>I <strong>agree</strong>.</p>"
    link = entries[1].find("atom:link", NS).get("href")
    assert link.startswith("http://localhost/discussed/#comment-")


def test_comment_feed_never_shows_email_ip_or_unapproved_comments(client, discussed):
    text = client.get(f"/{discussed}/feed/").text
    assert "@" not in text
    assert "example.org" not in text
    assert "203.0.113.7" not in text
    assert "TestBrowser" not in text
    for status in ("pending", "spam", "trash"):
        assert f"{status} text" not in text
    assert "Wrong article." not in text


def test_no_feed_contains_an_email(client, articles, discussed):
    for path in ("/feed/", f"/{discussed}/feed/", "/sitemap.xml"):
        assert "@example.org" not in client.get(path).text


@pytest.mark.parametrize("slug", ["no-such-article", "draft", "future"])
def test_comment_feed_of_a_non_public_article_is_404(client, articles, slug):
    assert client.get(f"/{slug}/feed/").status_code == 404


def test_comment_feed_links_to_the_comment_page_that_shows_the_comment(app, client):
    app.config["COMMENTS_PER_PAGE"] = 2
    start = utcnow() - timedelta(hours=5)
    with app.app_context():
        article = make_article(slug="busy")
        ids = [make_comment(article, created_at=start + timedelta(minutes=i)).id for i in range(3)]
        reply = make_comment(article, parent_id=ids[2], created_at=start + timedelta(minutes=9)).id
    links = {
        e.findtext("atom:id", namespaces=NS): e.find("atom:link", NS).get("href")
        for e in parse(client.get("/busy/feed/")).findall("atom:entry", NS)
    }
    assert links[f"http://localhost/busy/#comment-{ids[0]}"] == f"http://localhost/busy/#comment-{ids[0]}"
    third, last = f"#comment-{ids[2]}", f"#comment-{reply}"
    assert links[f"http://localhost/busy/{third}"] == f"http://localhost/busy/comment-page-2/{third}"
    assert links[f"http://localhost/busy/{last}"] == f"http://localhost/busy/comment-page-2/{last}"


def test_comment_pages_put_orphaned_replies_in_their_own_thread(app):
    start = utcnow() - timedelta(hours=5)
    with app.app_context():
        article = make_article()
        hidden = make_comment(article, status=CommentStatus.PENDING, created_at=start)
        first = make_comment(article, created_at=start + timedelta(minutes=1))
        orphan = make_comment(article, parent_id=hidden.id, created_at=start + timedelta(minutes=2))
        reply = make_comment(article, parent_id=first.id, created_at=start + timedelta(minutes=3))
        assert comment_pages(article.id, per_page=1) == {first.id: 1, orphan.id: 2, reply.id: 1}


# /sitemap.xml -------------------------------------------------------------------------------------


def test_sitemap_lists_the_front_page_every_public_article_its_tags_and_archives(client, articles):
    response = client.get("/sitemap.xml")
    assert response.content_type == "application/xml; charset=utf-8"
    urlset = parse(response)
    assert urlset.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    locs = [u.findtext("sm:loc", namespaces=NS) for u in urlset.findall("sm:url", NS)]
    assert locs[:4] == [
        "http://localhost/",
        "http://localhost/newer/",
        "http://localhost/older/",
        "http://localhost/tag/craft/",
    ]
    # The archives of the articles' years and months (dated relative to now: tests/test_archives.py has exact ones).
    assert locs[4:] and all(re.fullmatch(r"http://localhost/[0-9]{4}/([0-9]{2}/)?", loc) for loc in locs[4:])
    for url in urlset.findall("sm:url", NS):
        assert url.findtext("sm:lastmod", namespaces=NS).endswith("Z")


def test_sitemap_of_an_empty_blog(client):
    (url,) = parse(client.get("/sitemap.xml")).findall("sm:url", NS)
    assert url.findtext("sm:loc", namespaces=NS) == "http://localhost/"
