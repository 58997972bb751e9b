"""Pages (front matter ``type: page``, SPEC §8): About at /about/, in the navigation by ``nav``, and in
no list of articles: not the index, not the feed; no date, byline or tags; comments only if opened."""

import shutil

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Article, ArticleKind
from blog.publishing.publish import publish
from tests.conftest import PAGES


@pytest.fixture
def site(app, seed_content):
    """The tests' site (three articles) with its pages: About (nav 1), Colophon (nav 2), Imprint (none)."""
    shutil.copytree(PAGES, seed_content, dirs_exist_ok=True)
    with app.app_context():
        assert str(publish(seed_content)) == "created 6, updated 0, unchanged 0, draft 0, scheduled 0, withdrawn 0"
    return seed_content


def test_a_page_is_stored_as_one(app, site):
    with app.app_context():
        about = db.session.scalar(sa.select(Article).where(Article.slug == "about"))
        assert (about.kind, about.nav_order, about.tags, about.comments_open) == (ArticleKind.PAGE, 1, [], False)
        assert about.is_public() and not about.is_listed()
        assert about.published_at is not None  # no date: the moment it was first published


def test_a_page_without_date_keeps_its_first_publish_moment(app, site):
    with app.app_context():
        first = db.session.scalar(sa.select(Article.published_at).where(Article.slug == "about"))
    about = site / "about.md"
    about.write_text(about.read_text() + "\nOne more line.\n")
    with app.app_context():
        assert publish(site).updated == 1
        assert db.session.scalar(sa.select(Article.published_at).where(Article.slug == "about")) == first


def test_the_page_has_no_date_byline_tags_or_comments(client, site):
    html = client.get("/about/").get_data(as_text=True)
    assert "small team of editors" in html
    assert 'class="byline"' not in html and "<time" not in html
    assert 'id="comments"' not in html and 'name="comment"' not in html
    assert 'property="og:type" content="website"' in html


def test_a_page_whose_front_matter_opens_comments_has_the_form(client, site):
    html = client.get("/colophon/").get_data(as_text=True)
    assert 'name="comment"' in html
    assert 'class="byline"' not in html


def test_pages_are_in_the_header_navigation_by_their_order(client, site):
    html = client.get("/").get_data(as_text=True)
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert nav.index('href="/about/"') < nav.index('href="/colophon/"')
    assert "/imprint/" not in nav  # no nav: reachable, but not listed
    about = client.get("/about/").get_data(as_text=True)
    assert '<a href="/about/" aria-current="page">About</a>' in about


@pytest.mark.parametrize("path", ["/", "/feed/", "/sitemap.xml"])
def test_pages_are_in_no_list_of_articles(client, site, path):
    text = client.get(path).get_data(as_text=True)
    assert "How this blog is built" in text or "how-this-blog-is-built" in text  # the list is there
    for words in ("small team of editors", "Who writes here", "legal notice"):
        assert words not in text
    if path != "/sitemap.xml":  # the sitemap lists pages (SPEC §8)
        assert "/about/" not in text.replace('href="/about/"', "")  # the navigation only


def test_adding_a_page_to_the_navigation_makes_every_cached_page_stale(app, client, site):
    """Every page shows the header navigation: a page that joins it moves every article's version."""
    with app.app_context():
        before = dict(db.session.execute(sa.select(Article.slug, Article.version)).all())
    imprint = site / "imprint.md"
    imprint.write_text(imprint.read_text().replace("type: page\n", "type: page\nnav: 3\n"))
    with app.app_context():
        assert publish(site).updated == 1
        after = dict(db.session.execute(sa.select(Article.slug, Article.version)).all())
    assert all(after[slug] == version + 1 for slug, version in before.items())
    assert 'href="/imprint/"' in client.get("/how-this-blog-is-built/").get_data(as_text=True)


def test_a_page_scheduled_for_the_navigation_moves_no_version_until_it_is_due(app, client, site):
    """A page with a future date is not in the navigation yet, so publishing it stales no other page;
    once due, it shows in the header (the page cache keeps no page past the next due date)."""
    with app.app_context():
        before = dict(db.session.execute(sa.select(Article.slug, Article.version)).all())
    (site / "events.md").write_text("---\ntitle: Events\ntype: page\nnav: 4\ndate: 2999-01-01\n---\n\nSoon.\n")
    with app.app_context():
        assert publish(site).scheduled == 1
        after = dict(db.session.execute(sa.select(Article.slug, Article.version)).all())
    assert {slug: after[slug] for slug in before} == before
    assert 'href="/events/"' not in client.get("/how-this-blog-is-built/").get_data(as_text=True)
