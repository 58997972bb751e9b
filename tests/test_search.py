"""Search (SPEC §8): the index kept in step at publish, ranked results with marked snippets, and
hostile queries answered with a clear page. Runs on SQLite (FTS5) and, with TEST_DATABASE_URL, on
PostgreSQL (tsvector + GIN), which must answer alike.
"""

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.publishing.publish import PublishError, publish
from blog.reading import search


def write(content_dir, name: str, title: str, body: str, **front) -> None:
    """Write an article file with this title and body (``date`` defaults to a past day)."""
    fields = {"title": title, "date": "2024-03-01", **front}
    header = "".join(f"{key}: {value}\n" for key, value in fields.items())
    (content_dir / f"{name}.md").write_text(f"---\n{header}---\n\n{body}\n")


class Page:
    """The parts of the search page a reader looks at, read from templates/search.html's markup."""

    def __init__(self, text: str):
        self.text = text
        self.links = re.findall(r'class="search-result__title"><a href="([^"]*)">([^<]*)</a>', text)
        self.snippets = re.findall(r'<p class="search-result__snippet">(.*?)</p>', text, re.S)
        status = re.search(r'role="status">(.*?)</p>', text, re.S)
        self.status = html.unescape(status.group(1)).strip() if status else None
        self.value = html.unescape(re.search(r'<input id="search-q"[^>]* value="([^"]*)"', text).group(1))

    def marked(self, n: int = 0) -> list[str]:
        return re.findall(r"<mark>(.*?)</mark>", self.snippets[n])


def page(client, query: str):
    response = client.get("/search/", query_string={"q": query})
    return response, Page(response.text)


def found(result: Page) -> list[str]:
    return [html.unescape(title) for _, title in result.links]


@pytest.fixture
def orchard(app, content_dir):
    """Three published articles, a draft and a scheduled one, published."""
    write(content_dir, "quinces", "Growing quinces", "Quinces need a warm wall and patience.", summary="On fruit.")
    write(content_dir, "pears", "Pears", "A pear tree beside the quinces, and a river of blossom.")
    write(content_dir, "rivers", "Rivers", "The river floods in spring; the orchard drinks.")
    write(content_dir, "hidden", "Hidden", "A zeppelin drafted in secret.", status="draft")
    write(content_dir, "later", "Later", "A zeppelin arrives next month.", date=date.today() + timedelta(days=30))
    with app.app_context():
        publish(content_dir)
    return content_dir


def test_a_word_from_the_body_finds_its_article_with_the_word_marked(client, orchard):
    response, soup = page(client, "blossom")
    assert response.status_code == 200
    assert found(soup) == ["Pears"]
    assert soup.marked() == ["blossom"]
    assert "A pear tree beside the quinces" in soup.snippets[0]
    assert soup.links[0][0] == "/pears/"


def test_a_title_match_ranks_above_a_body_match_and_every_word_is_needed(client, orchard):
    _, soup = page(client, "quinces")
    assert found(soup) == ["Growing quinces", "Pears"]
    _, soup = page(client, "river quinces")
    assert found(soup) == ["Pears"]


def test_words_are_matched_by_their_stem_and_in_any_letter_case(client, orchard):
    _, soup = page(client, "FLOOD")
    assert found(soup) == ["Rivers"]
    assert soup.marked() == ["floods"]


def test_the_summary_is_searched_too(client, orchard):
    _, soup = page(client, "fruit")
    assert found(soup) == ["Growing quinces"]


def test_drafts_and_scheduled_articles_are_not_found(client, orchard):
    response, soup = page(client, "zeppelin")
    assert response.status_code == 200
    assert found(soup) == []
    assert "No article holds this word" in soup.status


def test_the_index_follows_each_publish_in_its_transaction(app, client, orchard):
    write(orchard, "pears", "Pears", "A pear tree beside a canal.")
    (orchard / "rivers.md").unlink()
    with app.app_context():
        publish(orchard)
    assert found(page(client, "blossom")[1]) == []
    assert found(page(client, "canal")[1]) == ["Pears"]
    assert found(page(client, "orchard")[1]) == []  # withdrawn
    # A run refused for a bad file changes nothing, the index included.
    write(orchard, "pears", "Pears", "Now about apricots.")
    (orchard / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
    with app.app_context(), pytest.raises(PublishError):
        publish(orchard)
    assert found(page(client, "canal")[1]) == ["Pears"]
    assert found(page(client, "apricots")[1]) == []


def test_an_article_whose_text_holds_markup_gets_an_escaped_snippet(client, app, content_dir):
    write(content_dir, "markup", "Markup", "Type `<script>alert(1)</script>` to test a sanitizer & more.")
    with app.app_context():
        publish(content_dir)
    response, soup = page(client, "sanitizer")
    assert found(soup) == ["Markup"]
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in soup.snippets[0]


def test_an_empty_query_shows_the_form_alone(client, orchard):
    response, soup = page(client, "")
    assert response.status_code == 200
    assert 'role="search"' in soup.text and soup.value == ""
    assert soup.status is None
    assert found(soup) == []


HOSTILE = [
    '"',
    '"quinces',
    "*",
    "quin*",
    "NEAR(quinces pears)",
    "quinces OR pears",
    "AND",
    "title:quinces",
    "^quinces",
    "!!! ??? ...",
    "x" * 10_000,
    "\x00",
    "quinces\x00pears",
    "\x01\x02\x03\x1b[31m",
    "'; DROP TABLE article; --",
    "<script>alert(1)</script>",
    "&lt;b&gt;",
    "\ufffd\u202e",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_an_absurd_query_gets_a_clear_page_and_is_never_reflected_raw(client, orchard, query):
    response, soup = page(client, query)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "\x00" not in response.text and "\x1b" not in response.text
    # Nothing left once control characters go is an empty query: the form alone; anything else is told.
    assert bool(soup.status) == bool(search.reader_query(query))
    assert soup.value == search.reader_query(query)
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("article"))) == 5


def test_operators_in_a_query_are_plain_words(client, orchard):
    # As operators, these would find "Growing quinces" and "Rivers"; as words, no article holds both.
    assert found(page(client, "wall OR floods")[1]) == []
    assert found(page(client, "wall NEAR floods")[1]) == []
    assert found(page(client, '"quinces" wall* ^patience')[1]) == ["Growing quinces"]


def test_only_the_first_200_characters_of_a_query_are_used(client, orchard):
    padding = "quinces " * 25  # exactly 200 characters
    assert len(padding) == search.MAX_QUERY
    response, soup = page(client, padding + "pears")
    assert found(soup) == ["Growing quinces", "Pears"]  # "pears" came after the limit
    assert "pears" not in soup.value


def test_the_header_of_every_page_has_a_labelled_search_form(client, orchard):
    for path in ("/", "/pears/", "/no-such-article/"):
        header = client.get(path).text.split('<main id="main"')[0]
        assert '<form class="site-search" role="search" action="/search/" method="get">' in header, path
        assert '<label for="site-search-q" class="visually-hidden">Search the articles</label>' in header, path
        assert '<input id="site-search-q" type="search" name="q"' in header, path


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("quinces pears", ["quinces", "pears"]),
        ('"NEAR(a, b)" OR c*', ["NEAR", "a", "b", "OR", "c"]),
        ("snake_case", ["snake", "case"]),
        ("Économie café", ["Économie", "café"]),
        ("!!! ... \x00", []),
        ("w " * 50, ["w"] * search.MAX_WORDS),
    ],
)
def test_words(query, words):
    assert search.words(query) == words


@pytest.mark.parametrize(
    ("raw", "html"),
    [
        ("plain", "plain"),
        ("a \x02word\x03 here", "a <mark>word</mark> here"),
        ("<b>\x02x&y\x03</b>", "&lt;b&gt;<mark>x&amp;y</mark>&lt;/b&gt;"),
        ("stray \x03close, then \x02open", "stray close, then open"),
        ("\x02<mark>\x03", "<mark>&lt;mark&gt;</mark>"),
        ("\x04b\x05 \x02x\x03", "&lt;b&gt; <mark>x</mark>"),
    ],
)
def test_mark_escapes_everything_then_marks(raw, html):
    assert str(search.mark(raw)) == html


def test_plain_text_is_what_a_reader_sees():
    assert search.plain_text("<p>Fish &amp; chips</p>\n<pre><code>a\x00b</code></pre>") == "Fish & chips a b"
