"""Hostile input: every payload of xss-payloadbox and every bleach regression case goes through the form.

Nothing a commenter types may run script: no script element, no event-handler attribute, no
javascript:/data:/vbscript: URL, no style, iframe, object, embed, form or svg, in the stored HTML or on
the rendered page. The 6,613 payloads go through the form's fields and the service's cleaning step in a
batch and are rendered on one page; a sample and the bleach cases go through the full HTTP path.
"""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from blog.comments.form import CommentForm
from blog.core import sanitize
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus
from tests.actions import post_comment
from tests.conftest import corpus, nu_errors
from tests.factories import make_article

SLUG = "hostile"
ALLOWED = sanitize.COMMENT_TAGS | {"p", "br"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|livescript|mocha):", re.I)
URL_ATTRIBUTES = {
    "href",
    "src",
    "cite",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "poster",
    "data",
    "codebase",
    "srcset",
    "lowsrc",
    "dynsrc",
    "ping",
}


def payloads() -> list[str]:
    path = corpus("xss-payloadbox", "xss-payload-list.txt")
    return path.read_text(encoding="utf-8").splitlines()


def bleach_cases() -> list[str]:
    folder = corpus("bleach-regression-tests", "data")
    return [p.read_text(encoding="utf-8").split("\n--\n")[0].strip() for p in sorted(folder.glob("*.test"))]


def url_is_dangerous(value: str) -> bool:
    # Browsers ignore whitespace and control characters inside a URL's scheme ("java\tscript:").
    squeezed = re.sub(r"[\x00-\x20\x7f]+", "", value)
    return bool(BAD_SCHEME.match(squeezed))


FORBIDDEN = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "form",
    "svg",
    "math",
    "frame",
    "frameset",
    "applet",
    "base",
    "link",
    "meta",
}


class Checker(HTMLParser):
    """Collect every way a piece of HTML could run script or restyle the page."""

    def __init__(self, allowed_tags=None, forbidden=FORBIDDEN, own=None):
        super().__init__(convert_charrefs=True)
        self.allowed = allowed_tags
        self.forbidden = forbidden
        self.own = own or (lambda tag, attrs: False)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.own(tag, attrs):
            return
        if (self.allowed is not None and tag not in self.allowed) or tag in self.forbidden:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"attribute {name}")
            if name == "style":
                self.problems.append("style attribute")
            if name in URL_ATTRIBUTES and value and url_is_dangerous(value):
                self.problems.append(f"{name}={value!r}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        if self.allowed is not None:
            self.problems.append("HTML comment")


def problems_in_comment_html(html: str) -> list[str]:
    checker = Checker(ALLOWED)
    checker.feed(html)
    checker.close()
    # Tokenizer-level check too, independent of any parser's error recovery: every "<" that starts a tag
    # in a browser must start one of ours, and no "<!" or "<?" may survive.
    for name in re.findall(r"<\s*/?([A-Za-z][^\s/>]*)", html):
        if name.lower() not in ALLOWED:
            checker.problems.append(f"raw <{name}")
    if re.search(r"<[!?]", html):
        checker.problems.append("markup declaration")
    return checker.problems


def _our_script(tag, attrs):
    # Scripts the page itself loads, and JSON-LD (data, escaped by |tojson), are not comment content.
    return tag == "script" and (
        attrs.get("type") == "application/ld+json" or attrs.get("src", "").startswith("/static/")
    )


def _our_form(attrs) -> bool:
    """Leave a Reply, or the Edit and Delete the author of a fresh comment is offered (SPEC §12)."""
    return (
        attrs.get("id") == "commentform"
        or re.fullmatch(r"comment-(edit|delete)-[0-9]+", attrs.get("id", "")) is not None
    )


def problems_in_page(html: str) -> list[str]:
    """Check the whole page for script and event handlers, and the comments section for any live tag."""
    page = Checker(forbidden={"script", "iframe", "object", "embed", "frame", "frameset", "applet"}, own=_our_script)
    page.feed(html)
    page.close()
    start = html.index('<section id="comments"')
    section = Checker(own=lambda tag, attrs: _our_script(tag, attrs) or (tag == "form" and _our_form(attrs)))
    section.feed(html[start : html.index("</section>", start)])
    section.close()
    return page.problems + section.problems


@pytest.fixture
def article(app):
    with app.app_context():
        yield make_article(SLUG, "Hostile input")


def test_every_payload_is_cleaned_and_rendered_inert(app, client, article):
    lines = payloads()
    assert len(lines) == 6613
    failures = {}
    rows = []
    with app.test_request_context():
        for n, line in enumerate(lines):
            # The form's own processing of the field, then the service's cleaning step.
            form = CommentForm(
                MultiDict({"comment": line, "author": f"P{n}", "email": f"p{n}@example.org"}),
                meta={"csrf": False},
            )
            if not form.validate():
                # Nothing left to show once cleaned (an <img onerror>, a <script>): refused as an empty comment.
                assert form.errors == {"comment": ["Please type your comment text."]}, (line, form.errors)
                assert not sanitize.has_visible_text(sanitize.clean_comment(form.comment.data)), line
                continue
            text = sanitize.normalise_text(form.comment.data)
            html = sanitize.clean_comment(text)
            problems = problems_in_comment_html(html)
            if problems:
                failures[line] = (html, problems)
            rows.append(
                Comment(
                    article_id=article.id,
                    author_name=f"P{n}",
                    author_email=f"p{n}@example.org",
                    raw_text=text,
                    html=html,
                    status=CommentStatus.APPROVED,
                )
            )
    assert not failures, list(failures.items())[:5]
    db.session.add_all(rows)
    db.session.commit()
    app.config["COMMENTS_PER_PAGE"] = len(lines)
    page = client.get(f"/{SLUG}/")
    assert page.status_code == 200
    assert page.text.count('<li id="comment-') == len(rows) > len(lines) * 3 // 4
    assert problems_in_page(page.text) == []


@pytest.fixture
def poster(app, article):
    """Post one comment through the whole HTTP path; return (stored html, rendered pending view)."""
    serial = iter(range(10**6))

    def post(text: str):
        n = next(serial)
        client = app.test_client()
        response = post_comment(client, SLUG, text, author=f"Poster {n}", email=f"poster{n}@example.org")
        if not sanitize.has_visible_text(sanitize.clean_comment(sanitize.normalise_text(text))):
            # Nothing left to show once cleaned: refused as empty, the text kept in the form, inert there too.
            assert response.status_code == 422, (text, response.status_code)
            assert "Please type your comment text." in response.text
            return None, response.text
        assert response.status_code == 303, (text, response.status_code)
        comment_id = int(re.search(r"#comment-(\d+)", response.headers["Location"]).group(1))
        db.session.expire_all()
        stored = db.session.get(Comment, comment_id)
        page = client.get(response.headers["Location"]).text
        assert f'id="comment-{comment_id}"' in page
        return stored, page

    return post


def test_a_sample_of_payloads_through_http(poster):
    for line in payloads()[::97]:
        stored, page = poster(line)
        if stored is not None:
            assert stored.raw_text == line.strip()
            assert problems_in_comment_html(stored.html) == [], line
        assert problems_in_page(page) == [], line


def test_bleach_regression_cases_through_http(poster):
    cases = bleach_cases()
    assert len(cases) == 20
    for text in cases:
        stored, page = poster(text)
        assert stored is None or problems_in_comment_html(stored.html) == [], text
        assert problems_in_page(page) == [], text


@pytest.mark.parametrize("field", ["author", "url"])
def test_hostile_name_and_website_are_inert(app, client, article, field):
    value = {
        "author": '"><script>alert(1)</script><img src=x onerror=alert(2)>',
        "url": 'https://ex.com/"onmouseover="alert(1)',
    }[field]
    fields = {"author": "Someone", "url": ""} | {field: value}
    response = post_comment(client, SLUG, "Name and website.", **fields)
    if response.status_code == 422:  # the website was refused: nothing stored, and the page is inert
        assert problems_in_page(response.text) == []
        return
    assert problems_in_page(client.get(response.headers["Location"]).text) == []
    app.config["COMMENT_MODERATION"] = "none"
    db.session.execute(sa.update(Comment).values(status=CommentStatus.APPROVED))
    db.session.commit()
    assert problems_in_page(client.get(f"/{SLUG}/").text) == []


def test_checker_catches_what_it_should():
    assert problems_in_comment_html('<a href="java\tscript:alert(1)">x</a>')
    assert problems_in_comment_html("<img src=x onerror=alert(1)>")
    assert problems_in_comment_html("<svg><script>x</script></svg>")
    assert problems_in_comment_html('<b style="color:red">x</b>')
    assert problems_in_comment_html("<!-- x -->")
    assert not problems_in_comment_html('<p><a href="https://ok.example" rel="nofollow ugc">ok</a></p>')


def test_every_cleaned_payload_is_valid_html(tmp_path):
    """The Nu Html Checker finds no error in any payload as cleaned (an "&x;" kept raw was one)."""
    cleaned = [sanitize.clean_comment(sanitize.normalise_text(line).strip()) for line in payloads()]
    documents = 4  # a few documents, so that one JVM checks them all at once
    size = len(cleaned) // documents + 1
    for d in range(documents):
        comments = "\n".join(
            f'<div id="c{n}">{html}</div>' for n, html in enumerate(cleaned[d * size : (d + 1) * size], d * size)
        )
        (tmp_path / f"comments{d}.html").write_text(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Comments</title>\n'
            f"</head>\n<body>\n{comments}\n</body>\n</html>\n",
            encoding="utf-8",
        )
    assert len(list(tmp_path.glob("comments*.html"))) == documents
    assert nu_errors(sorted(tmp_path.glob("comments*.html"))) == []


def test_the_html_checker_finds_a_raw_unknown_reference(tmp_path):
    """The check above is live: the Nu checker reports an ampersand that starts no known reference."""
    page = tmp_path / "raw.html"
    page.write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Raw</title></head>'
        "<body><p>&x;</p></body></html>\n",
        encoding="utf-8",
    )
    assert nu_errors([page])
