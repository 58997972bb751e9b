"""Reader pages: the index, the article page, its comment pages, the 404 page and the health check."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from blog import create_app
from blog.comments import section
from blog.core.models import ArticleStatus, utcnow
from tests.factories import make_article


class Page(HTMLParser):
    """The parts of an HTML page these tests look at: tags with their attributes, and JSON-LD."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.jsonld: list[str] = []
        self._in_jsonld = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._in_jsonld = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_endtag(self, tag):
        self._in_jsonld = False

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld.append(data)

    def find_all(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def meta(self, **attrs) -> str | None:
        found = self.find_all("meta", **attrs)
        return found[0]["content"] if found else None


@pytest.fixture
def articles(app):
    """Three public articles, a day apart, plus a draft, a future one and a withdrawn one."""
    now = utcnow()
    with app.app_context():
        make_article(slug="oldest", title="The Oldest", published_at=now - timedelta(days=3))
        make_article(slug="newest", title="The Newest", published_at=now - timedelta(days=1))
        make_article(slug="middle", title="The Middle", published_at=now - timedelta(days=2))
        make_article(slug="a-draft", title="A Draft", status=ArticleStatus.DRAFT)
        make_article(slug="in-future", title="In Future", published_at=now + timedelta(days=1))
        make_article(slug="withdrawn", title="Withdrawn", status=ArticleStatus.WITHDRAWN)


@pytest.fixture
def seed_article(app):
    """An article as the publish pipeline stores it: a table of contents, a body, a figure."""
    with app.app_context():
        article = make_article(
            slug="diplomatic-meeting",
            title="Diplomatic Meeting",
            author="Amna Rauf",
            summary="How an embassy became a hinge.",
            description="The history of the embassy in Islamabad.",
            tags=["Diplomacy"],
            image="/media/images/meeting.jpg",
            toc_html='<nav class="toc"><ol><li><a href="#history">History</a></li></ol></nav>',
            html='<h2 id="history">History</h2><p>Relations began in 1972.</p>',
        )
        return article.slug


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="entry__title"><a href="[^"]+">([^<]+)</a>', html)


# The index ----------------------------------------------------------------------------------------


def test_index_lists_public_articles_newest_first(client, articles):
    response = client.get("/")
    assert response.status_code == 200
    assert titles(response.text) == ["The Newest", "The Middle", "The Oldest"]
    assert 'href="/newest/"' in response.text


@pytest.mark.parametrize("hidden", ["A Draft", "In Future", "Withdrawn"])
def test_index_leaves_out_what_is_not_public(client, articles, hidden):
    assert hidden not in client.get("/").text


def test_index_shows_date_author_and_summary(client, app):
    with app.app_context():
        make_article(title="Dated", author="Grace Hopper", summary="A short summary.")
    html = client.get("/").text
    assert "Grace Hopper" in html
    assert "A short summary." in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">\w+ \d{1,2}, \d{4}</time>', html)


@pytest.mark.parametrize(
    ("approved", "label"), [(0, "No Comments"), (1, "1 Comment"), (2, "2 Comments"), (57, "57 Comments")]
)
def test_index_counts_comments_as_wordpress_does(client, app, approved, label):
    with app.app_context():
        make_article(slug="counted", approved_count=approved)
    assert re.search(rf'href="/counted/#comments">{label}<', client.get("/").text)


def test_index_pages_ten_at_a_time(client, app):
    now = utcnow()
    with app.app_context():
        for day in range(12):
            make_article(title=f"Day {day:02}", published_at=now - timedelta(days=day + 1))
    first = client.get("/")
    assert titles(first.text) == [f"Day {d:02}" for d in range(10)]
    assert 'rel="next" href="/page/2/"' in first.text and "Older articles" in first.text
    assert "Newer articles" not in first.text

    second = client.get("/page/2/")
    assert second.status_code == 200
    assert titles(second.text) == ["Day 10", "Day 11"]
    assert 'rel="prev" href="/">Newer articles' in second.text and "Older articles</a>" not in second.text
    assert '<link rel="canonical" href="http://localhost/page/2/">' in second.text


@pytest.mark.parametrize(("path", "location"), [("/?page=2", "/page/2/"), ("/?page=1", "/"), ("/page/1/", "/")])
def test_other_addresses_of_an_index_page_move_to_its_own(client, articles, path, location):
    response = client.get(path)
    assert (response.status_code, response.headers["Location"]) == (301, location)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "2.5", "", "99999999999999999999", "１"])
def test_index_bad_or_missing_page_is_404(client, articles, page):
    response = client.get(f"/?page={page}")
    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.mark.parametrize("path", ["/page/3/", "/page/0/", "/page/1234567/", "/page/x/"])
def test_index_page_past_the_end_or_malformed_is_404(client, articles, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_empty_index_says_so(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Nothing has been published yet" in response.text


def test_index_has_one_h1_and_the_layout(client, articles):
    page = Page(client.get("/").text)
    assert len(page.find_all("h1")) == 1
    assert page.find_all("html", lang="en")
    assert page.find_all("nav", **{"aria-label": "Main"})
    assert page.find_all("a", href="#main")
    assert page.find_all("link", rel="alternate", type="application/atom+xml")


# The article page ---------------------------------------------------------------------------------


def test_article_page_markup(client, seed_article):
    response = client.get(f"/{seed_article}/")
    assert response.status_code == 200
    html = response.text
    article = html[html.index("<article") : html.rindex("</article>")]
    assert html.count("<article") == 1
    assert '<h1 class="post__title">Diplomatic Meeting</h1>' in article
    assert "By Amna Rauf" in article
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">', article)
    assert '<a href="#history">History</a>' in article  # the table of contents
    assert "Relations began in 1972." in article
    # the table of contents comes before the body, and the comments section closes the article
    assert article.index('href="#history"') < article.index("Relations began")
    assert article.index("Relations began") < article.index('id="comments"')


def test_article_head(client, seed_article):
    page = Page(client.get(f"/{seed_article}/").text)
    url = f"http://localhost/{seed_article}/"
    assert page.find_all("link", rel="canonical", href=url)
    assert page.meta(name="description") == "The history of the embassy in Islamabad."
    assert page.meta(property="og:title") == "Diplomatic Meeting"
    assert page.meta(property="og:type") == "article"
    assert page.meta(property="og:url") == url
    assert page.meta(property="og:description") == "The history of the embassy in Islamabad."
    assert page.meta(property="og:image") == "http://localhost/media/images/meeting.jpg"


def test_article_title_element(client, seed_article):
    html = client.get(f"/{seed_article}/").text
    assert "<title>Diplomatic Meeting · Field Notes</title>" in html


def test_article_jsonld(client, seed_article):
    page = Page(client.get(f"/{seed_article}/").text)
    (data,) = [json.loads(block) for block in page.jsonld]
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Article"
    assert data["headline"] == "Diplomatic Meeting"
    assert data["author"] == {"@type": "Person", "name": "Amna Rauf"}
    assert data["mainEntityOfPage"]["@id"] == f"http://localhost/{seed_article}/"
    assert data["datePublished"].endswith("Z")
    assert data["image"] == "http://localhost/media/images/meeting.jpg"
    assert "comment" not in data


def test_article_jsonld_carries_the_comments_it_is_given(client, seed_article, monkeypatch):
    given = [{"@type": "Comment", "text": "</script><script>alert(1)</script>", "author": {"name": "A"}}]
    monkeypatch.setattr(section, "section_context", lambda article, **kw: {"jsonld_comments": given})
    html = client.get(f"/{seed_article}/").text
    assert "</script><script>alert(1)" not in html  # |tojson escapes what could close the script
    (data,) = [json.loads(block) for block in Page(html).jsonld]
    assert data["comment"] == given


def test_article_without_image_has_no_og_image(client, app):
    with app.app_context():
        make_article(slug="plain", image="")
    page = Page(client.get("/plain/").text)
    assert page.meta(property="og:image") is None
    assert "image" not in json.loads(page.jsonld[0])


def test_article_without_slash_redirects_permanently(client, seed_article):
    response = client.get(f"/{seed_article}")
    assert response.status_code == 308
    assert response.headers["Location"].endswith(f"/{seed_article}/")


@pytest.mark.parametrize("slug", ["no-such-article", "a-draft", "in-future", "withdrawn"])
def test_unknown_or_unpublished_article_is_404_in_the_layout(client, articles, slug):
    response = client.get(f"/{slug}/")
    assert response.status_code == 404
    assert '<nav class="site-nav" aria-label="Main">' in response.text
    assert "<h1" in response.text and "Page not found" in response.text


def test_comment_page_passes_its_number_to_the_comments_section(client, seed_article, monkeypatch):
    seen = []

    def section_context(article, *, comment_page=1, form=None, **extra):
        seen.append(comment_page)
        return {}

    monkeypatch.setattr(section, "section_context", section_context)
    response = client.get(f"/{seed_article}/comment-page-2/")
    assert response.status_code == 200
    assert seen == [2]
    canonical = f'<link rel="canonical" href="http://localhost/{seed_article}/comment-page-2/">'
    assert canonical in response.text


@pytest.mark.parametrize("path", ["comment-page-0/", "comment-page--1/", "comment-page-x/"])
def test_bad_comment_page_is_404(client, seed_article, path):
    assert client.get(f"/{seed_article}/{path}").status_code == 404


def test_comment_page_of_unknown_article_is_404(client):
    assert client.get("/nothing-here/comment-page-2/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/diplomatic-meeting/", "/no-such-page/"])
def test_pages_need_no_inline_script_or_style(client, seed_article, path):
    """The CSP allows scripts and styles from files only; JSON-LD is data, not script."""
    html = client.get(path).text
    assert not re.search(r"\sstyle=", html)
    for attrs in re.findall(r"<script([^>]*)>", html):
        assert 'type="application/ld+json"' in attrs or "src=" in attrs
    assert not re.search(r"\son[a-z]+=", html)


# The health check ---------------------------------------------------------------------------------


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"
    assert response.headers["Cache-Control"] == "no-store"


DEAD_DATABASES = [
    pytest.param("sqlite:////nonexistent-directory/for/sure/blog.sqlite3", id="sqlite"),
    pytest.param("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2", id="postgresql"),
]


@pytest.fixture(params=DEAD_DATABASES)
def dead_client(request):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": request.param})
    yield app.test_client()
    with app.app_context():
        from blog.core.extensions import db

        db.engine.dispose()


def test_healthz_503_when_the_database_does_not_answer(dead_client):
    response = dead_client.get("/healthz")
    assert response.status_code == 503
    assert response.text != "ok"


@pytest.mark.parametrize("path", ["/", "/some-article/", "/feed/"])
def test_pages_answer_503_in_the_layout_when_the_database_is_down(dead_client, path):
    response = dead_client.get(path)
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.text
    assert '<nav class="site-nav" aria-label="Main">' in response.text
    assert response.headers["Retry-After"]


# The form macros the comment form and the admin use ---------------------------------------------


@pytest.fixture
def failed_form(app):
    """A WTForms form that failed validation, as a view would hand it to a template."""
    from flask_wtf import FlaskForm
    from wtforms import BooleanField, HiddenField, StringField, TextAreaField
    from wtforms.validators import DataRequired

    class ReplyForm(FlaskForm):
        class Meta:
            csrf = False

        comment = TextAreaField("Comment", validators=[DataRequired("Please type your comment text.")])
        email = StringField("Email *", description="Your email address will not be published.")
        url = StringField("Website")
        consent = BooleanField("Save my name")
        comment_parent = HiddenField(default="0")

    with app.test_request_context(method="POST", data={"url": "<b>typed</b>"}):
        form = ReplyForm()
        form.validate()
        yield form


def render_macro(call: str, **context) -> str:
    from flask import render_template_string

    return render_template_string('{% from "_macros.html" import render_field, error_summary %}' + call, **context)


def test_render_field_ties_the_error_and_hint_to_the_control(failed_form):
    html = render_macro("{{ render_field(form.comment, rows=8) }}", form=failed_form)
    assert '<label class="field__label" for="comment">Comment <span class="required">*</span></label>' in html
    assert '<p class="field__error" id="comment-error">' in html and "Please type your comment text." in html
    assert re.search(r'<textarea aria-describedby="comment-error" aria-invalid="true" id="comment"', html)
    assert re.search(r'<textarea[^>]* required rows="8">', html)

    html = render_macro("{{ render_field(form.email) }}", form=failed_form)
    assert 'for="email">Email <span class="required">*</span></label>' in html  # one star, not two
    assert '<p class="field__hint" id="email-hint">Your email address will not be published.</p>' in html
    assert 'aria-describedby="email-hint"' in html and "aria-invalid" not in html


def test_render_field_keeps_what_was_typed_escaped(failed_form):
    html = render_macro("{{ render_field(form.url) }}", form=failed_form)
    assert 'value="&lt;b&gt;typed&lt;/b&gt;"' in html
    assert "aria-describedby" not in html


def test_render_field_puts_a_checkbox_before_its_label(failed_form):
    html = render_macro("{{ render_field(form.consent) }}", form=failed_form)
    assert 'class="field field--check"' in html
    assert html.index('type="checkbox"') < html.index("<label")


def test_render_field_leaves_hidden_fields_bare(failed_form):
    html = render_macro("{{ render_field(form.comment_parent) }}", form=failed_form).strip()
    assert html == '<input id="comment_parent" name="comment_parent" type="hidden" value="0">'


def test_error_summary_links_each_message_to_its_field(failed_form):
    html = render_macro('{{ error_summary(form, heading="h4") }}', form=failed_form)
    assert 'class="error-summary"' in html and 'tabindex="-1"' in html
    assert '<h4 id="error-summary-title">There is a problem</h4>' in html
    assert '<li><a href="#comment">Please type your comment text.</a></li>' in html
    assert html.count("<li>") == 1
