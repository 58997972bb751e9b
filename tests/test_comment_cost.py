"""What one comment may cost the server (issue 11, finding 1): a forged post is refused before any of
its text is cleaned, and cleaning any 64 KB comment, however hostile its shape, takes little CPU.

Each shape is the worst case of one part of the cleaner. The finding was a cost that grew with the
square of the nesting (7.4 s for 64 KB of ``<b>``), so what is held exactly is the shape of growth: four
times the text may cost at most eight times the CPU (linear is four, quadratic sixteen). That holds on
any machine. The budget of 50 ms of CPU was set on the development machine, where the worst shape takes
about 18 ms; CI's shared runners have measured 51 ms for the same shape, so the absolute ceiling here is
a generous 250 ms, there to catch a return of the seconds, not to time the cleaner (``make bench`` does
that). Times are CPU time of this thread (``time.thread_time``), the best of three.
"""

import time

import pytest

from blog.comments.form import MAX_COMMENT
from blog.core import sanitize
from scripts.live import form_fields
from tests.factories import make_article

SLUG = "costly"


def fill(unit: str, head: str = "", tail: str = "") -> str:
    """Repeat ``unit`` to a comment of the greatest length the form takes."""
    body = (head + unit * (MAX_COMMENT // len(unit) + 1))[: MAX_COMMENT - len(tail)]
    return body + tail


SHAPES = {
    "plain words": fill("word "),
    "nested <b>": fill("<b>"),
    "nested <div>": fill("<div>"),
    "nested comment tags": fill("<b><i><em><strong><q><cite><code><s>"),
    "nested blockquotes": fill("<blockquote>"),
    "nested <a>": fill("<a>"),
    "misnested tags": fill("<b><i></b></i>"),
    "paragraphs in <b>": fill("<b><p>"),
    "tables": fill("<table><td>x<b>"),
    "svg": fill("<svg><b>"),
    "flat tags": fill("<b>x</b>"),
    "links": fill('<a href="http://x.org/">x</a>'),
    "end tags": fill("</b>"),
    "unknown tags": fill("<x>"),
    "unclosed tags": fill("<a "),
    "tag openers": fill("<x"),
    "html comments": fill("<!--x-->"),
    "many attributes": fill(' a="1"', head="<a", tail=">"),
    "attributes without values": fill(" a", head="<a", tail=">"),
    "long attribute value": fill("x", head='<a href="http://x.org/', tail='">y</a>'),
    "long title with ampersands": fill("x&", head='<a title="', tail='">y</a>'),
    "entities": fill("&amp;"),
    "unknown entities": fill("&x;"),
    "numeric entities": fill("&#1234;"),
    "ampersands": fill("&"),
    "less-than signs": fill("a < b "),
    "line breaks": fill("a\n"),
    "line breaks after a tag": fill("a\n", head="<b>x</b>"),
    "paragraphs": fill("a\n\n"),
    "blockquote paragraphs": fill("<blockquote>\n\n"),
    "urls": fill("http://a.org "),
    "www addresses": fill("www.a.org "),
    "bare domains": fill("a.com "),
    "dots": fill("a."),
    "hyphenated run": fill("x-"),
    "one long word": fill("x"),
}


def cpu_to_clean(text: str) -> float:
    """The best of three CPU times, so that a garbage collection pass is not counted."""
    timings = []
    for _ in range(3):
        started = time.thread_time()
        html = sanitize.clean_comment(text)
        timings.append(time.thread_time() - started)
    assert html  # nothing typed is dropped wholesale
    return min(timings)


@pytest.mark.parametrize("text", SHAPES.values(), ids=SHAPES.keys())
def test_any_64_kb_comment_costs_cpu_in_proportion_to_its_length(text):
    assert len(text) == MAX_COMMENT
    sanitize.clean_comment(text[:100])  # warm up imports and regex caches
    quarter = cpu_to_clean(text[: MAX_COMMENT // 4])
    whole = cpu_to_clean(text)
    assert whole < 0.250, f"{whole * 1000:.0f} ms"
    assert whole <= 8 * quarter + 0.002, f"16 KB: {quarter * 1000:.1f} ms, 64 KB: {whole * 1000:.1f} ms"


@pytest.fixture
def article(app):
    with app.app_context():
        yield make_article(SLUG, "Costly")


def test_a_post_without_token_is_refused_before_its_text_is_cleaned(app, article, monkeypatch):
    cleaned = []
    real = sanitize.clean_comment
    monkeypatch.setattr(sanitize, "clean_comment", lambda text: cleaned.append(text) or real(text))
    text = "<b>" * 21841
    forger = app.test_client()  # no cookie, no token: a cross-site post
    response = forger.post(f"/{SLUG}/comments", data={"author": "x", "email": "x@example.com", "comment": text})
    assert response.status_code == 400
    assert "Your session expired. Please submit your comment again." in response.text
    assert cleaned == []  # before the fix, 7.4 s of CPU went into cleaning this text
    kept = form_fields(response.text)
    assert (kept["comment"], kept["author"], kept["email"]) == (text, "x", "x@example.com")
