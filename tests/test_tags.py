"""Tags: one slug per tag however it is spelt, links on the article, paged tag pages and their feeds."""

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import ArticleTag
from blog.publishing.publish import PublishError, publish
from blog.publishing.tags import tag_slug

ATOM = {"atom": "http://www.w3.org/2005/Atom"}


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Travel Notes", "travel-notes"),
        ("travel-notes", "travel-notes"),
        ("  Travel -- Notes!  ", "travel-notes"),
        ("Économie", "economie"),
        ("Straße café", "strae-cafe"),  # ß has no decomposition: dropped, as NFKD folding does
        ("C++ & Python 3", "c-python-3"),
        ("ﬁnance", "finance"),  # compatibility ligature → its letters
        ("日本", ""),
    ],
)
def test_tag_slug(name, slug):
    assert tag_slug(name) == slug


def write(content_dir, name: str, front: str, body: str = "Text.\n") -> None:
    (content_dir / f"{name}.md").write_text(f"---\n{front}\n---\n\n{body}", encoding="utf-8")


def publish_tagged(app, content_dir, count: int, tags: str = "[Travel Notes, travel-notes]") -> None:
    for i in range(1, count + 1):
        write(content_dir, f"post-{i:02d}", f"title: Post {i:02d}\ndate: 2024-01-{i:02d}\ntags: {tags}")
    with app.app_context():
        publish(content_dir)


def test_two_spellings_of_one_slug_are_one_tag(app, content_dir):
    write(content_dir, "a", "title: A\ndate: 2024-01-01\ntags: [Travel Notes, travel-notes, Économie]")
    with app.app_context():
        publish(content_dir)
        rows = db.session.execute(sa.select(ArticleTag.slug, ArticleTag.name).order_by(ArticleTag.slug)).all()
    assert rows == [("economie", "Économie"), ("travel-notes", "Travel Notes")]


def test_a_tag_without_a_letter_for_the_address_is_refused_with_its_line(app, content_dir):
    write(content_dir, "a", "title: A\ndate: 2024-01-01\ntags: [日本]")
    with app.app_context(), pytest.raises(PublishError) as e:
        publish(content_dir)
    assert str(e.value.errors[0]).endswith(
        "a.md:4: tags '日本' has no letter or digit a web address can carry (a-z, 0-9)"
    )


def test_republishing_changed_tags_replaces_the_rows(app, content_dir):
    write(content_dir, "a", "title: A\ndate: 2024-01-01\ntags: [one, two]")
    with app.app_context():
        publish(content_dir)
    write(content_dir, "a", "title: A\ndate: 2024-01-01\ntags: [Two, three]")
    with app.app_context():
        publish(content_dir)
        rows = db.session.execute(sa.select(ArticleTag.slug, ArticleTag.name).order_by(ArticleTag.slug)).all()
    assert rows == [("three", "three"), ("two", "Two")]


def test_article_links_its_tags(app, client, content_dir):
    write(content_dir, "a", "title: A\ndate: 2024-01-01\ntags: [Travel Notes, Économie]")
    with app.app_context():
        publish(content_dir)
    page = client.get("/a/").get_data(as_text=True)
    assert '<a href="/tag/travel-notes/" rel="tag">Travel Notes</a>' in page
    assert '<a href="/tag/economie/" rel="tag">Économie</a>' in page


def test_tag_page_lists_its_articles_paged(app, client, content_dir):
    app.config["ARTICLES_PER_PAGE"] = 2
    publish_tagged(app, content_dir, 3)
    write(content_dir, "other", "title: Other\ndate: 2024-02-01\ntags: [elsewhere]")
    with app.app_context():
        publish(content_dir)
    first = client.get("/tag/travel-notes/")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "Travel Notes" in html
    assert ["Post 03" in html, "Post 02" in html, "Post 01" in html, "Other" in html] == [True, True, False, False]
    assert '<a class="pagination__link pagination__link--older" rel="next" href="/tag/travel-notes/page/2/">' in html
    assert 'type="application/atom+xml" title="Travel Notes: ' in html and 'href="/tag/travel-notes/feed/"' in html
    second = client.get("/tag/travel-notes/page/2/").get_data(as_text=True)
    assert "Post 01" in second and "Post 02" not in second
    assert 'rel="prev" href="/tag/travel-notes/"' in second
    assert client.get("/tag/travel-notes/page/3/").status_code == 404


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/tag/travel-notes/page/1/", "/tag/travel-notes/"),
        ("/tag/Travel%20Notes/", "/tag/travel-notes/"),
        ("/tag/%C3%89conomie/", "/tag/economie/"),
    ],
)
def test_other_addresses_of_a_tag_move_to_its_own(app, client, content_dir, path, location):
    publish_tagged(app, content_dir, 1, "[Travel Notes, Économie]")
    response = client.get(path)
    assert (response.status_code, response.headers["Location"]) == (301, location)


@pytest.mark.parametrize("path", ["/tag/nothing/", "/tag/nothing/feed/", "/tag/%E6%97%A5/", "/tag/draft-only/"])
def test_unknown_tag_is_404(app, client, content_dir, path):
    write(content_dir, "d", "title: D\ndate: 2024-01-01\nstatus: draft\ntags: [draft only]")
    with app.app_context():
        publish(content_dir)
    assert client.get(path).status_code == 404


def test_tag_feed_is_atom_of_that_tag(app, client, content_dir):
    publish_tagged(app, content_dir, 2)
    write(content_dir, "other", "title: Other\ndate: 2024-02-01\ntags: [elsewhere]")
    with app.app_context():
        publish(content_dir)
    response = client.get("/tag/travel-notes/feed/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.data)
    assert feed.findtext("atom:title", namespaces=ATOM).startswith("Travel Notes")
    assert [e.findtext("atom:title", namespaces=ATOM) for e in feed.findall("atom:entry", ATOM)] == [
        "Post 02",
        "Post 01",
    ]
    self_link = feed.find("atom:link[@rel='self']", ATOM).get("href")
    assert self_link == "http://localhost/tag/travel-notes/feed/"
