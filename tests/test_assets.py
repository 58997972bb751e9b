"""The site's own files are named for their content and kept a year; the readers' CSS comes in the page.

A page links its script and icons under content-hashed names (``js/comment-reply.<digest>.js``), sent
with ``Cache-Control: public, max-age=31536000, immutable`` and compressed once; the plain names still
answer, revalidated. No stylesheet blocks a reader's first paint: the CSS is in a ``<style>`` that the
Content-Security-Policy allows by its sha256 and nothing else inline.
"""

import base64
import hashlib
import re
from pathlib import Path

import brotli
import pytest

from blog.core.assets import IMMUTABLE, hashed_name, minified_css
from tests.factories import make_article

STATIC = Path(__file__).resolve().parent.parent / "static"
HASHED = re.compile(r'(?:src|href)="(/static/[^"]+\.[0-9a-f]{10}\.[a-z]+)"')


def test_a_hashed_name_carries_the_digest_of_the_bytes():
    assert hashed_name("css/site.css", b"body { }") == "css/site.9e6a49769d.css"
    assert hashed_name("js/x.js", b"a") != hashed_name("js/x.js", b"b")


@pytest.mark.parametrize(
    ("css", "minified"),
    [
        ("/* a note */\nbody {\n  color: red; /* why */\n}\n", "body{color:red;}"),
        ("a:hover  b > c,\nd { margin: 0 auto }\n\n\n", "a:hover b>c,d{margin:0 auto}"),
        ("a :hover { }", "a :hover{}"),
        ("/*\n * several\n * lines\n */\np{}", "p{}"),
        ('p::after { content: " ( x ,  y; ) "; }', 'p::after{content:" ( x ,  y; ) ";}'),
        (
            "@media (min-width: 40em) and (prefers-color-scheme: dark) {\n  a { width: calc(100% - 2 * 1em) }\n}",
            "@media (min-width:40em) and (prefers-color-scheme:dark){a{width:calc(100% - 2 * 1em)}}",
        ),
    ],
)
def test_minified_css_keeps_every_rule(css, minified):
    assert minified_css(css) == minified


def test_a_page_links_its_files_under_hashed_names_that_are_kept_a_year(client, article):
    page = client.get("/on-embassies/?replytocom=0").text
    urls = HASHED.findall(page)
    assert any("/js/comment-reply." in url for url in urls)
    assert any("/img/favicon." in url for url in urls)

    for url in urls:
        response = client.get(url)
        plain = re.sub(r"\.[0-9a-f]{10}(\.[a-z]+)$", r"\1", url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.data == (STATIC / plain.removeprefix("/static/")).read_bytes()


def test_the_plain_name_still_answers_and_is_revalidated(client):
    response = client.get("/static/js/comment-reply.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.data == (STATIC / "js" / "comment-reply.js").read_bytes()

    again = client.get("/static/js/comment-reply.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_static_text_file_comes_compressed_once_with_its_own_etag(client):
    url = "/static/" + hashed_name("css/admin.css", (STATIC / "css" / "admin.css").read_bytes())
    plain = client.get(url)
    coded = client.get(url, headers={"Accept-Encoding": "gzip, br"})

    assert coded.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in coded.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert brotli.decompress(coded.data) == plain.data
    assert coded.headers["ETag"] != plain.headers["ETag"]
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": coded.headers["ETag"]})
    assert again.status_code == 304


def test_an_unknown_static_file_is_a_404(client):
    assert client.get("/static/css/nothing.0123456789.css").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404


def test_no_stylesheet_blocks_a_readers_page_and_the_csp_allows_exactly_its_style(app, client):
    with app.app_context():
        make_article("styled")
    for path in ("/", "/styled/", "/search/?q=x", "/no-such-page/"):
        response = client.get(path)
        page = response.text
        assert 'rel="stylesheet"' not in page, path
        styles = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
        assert len(styles) == 1 and ".site-header" in styles[0] and ".comment-list" in styles[0]
        digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
        style_src = re.search(r"style-src ([^;]+)", response.headers["Content-Security-Policy"]).group(1).split()
        assert style_src == ["'self'", f"'sha256-{digest}'"], path
