"""Pages, feeds and JSON go out compressed when the client accepts it: Brotli first, then gzip.

A client that names neither gets the bytes as they are; every compressible answer says
``Vary: Accept-Encoding`` so a shared cache keeps one copy per coding; what must not be changed
(``no-transform``, a HEAD, a 304, a tiny body, a body already coded) is left alone.
"""

import gzip

import brotli
import pytest
from flask import Response, jsonify

from blog.core.compression import choose
from tests.factories import make_article

BR = {"Accept-Encoding": "gzip, deflate, br"}


def decoded(response) -> bytes:
    """The body as the browser reads it, whatever coding it came in."""
    coding = response.headers.get("Content-Encoding")
    if coding == "br":
        return brotli.decompress(response.data)
    if coding == "gzip":
        return gzip.decompress(response.data)
    assert coding is None, coding
    return response.data


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("gzip, deflate, br", "br"),
        ("br", "br"),
        ("gzip", "gzip"),
        ("deflate", None),
        ("", None),
        (None, None),
        ("identity", None),
        ("*", "br"),
        ("br;q=0, *", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("*;q=0", None),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("gzip;q=0.8, br;q=0.8", "br"),
        ("BR", "br"),
        ("br;q=oops, gzip", "gzip"),
        (" gzip ; q = 0.5 ", "gzip"),
    ],
)
def test_the_coding_follows_accept_encoding(header, coding):
    assert choose(header) == coding


def test_the_index_is_sent_with_brotli_to_a_browser(app, client):
    with app.app_context():
        make_article(summary="A summary long enough. " * 40)
    plain = client.get("/")
    coded = client.get("/", headers=BR)

    assert coded.status_code == 200
    assert coded.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in coded.headers["Vary"]
    assert int(coded.headers["Content-Length"]) == len(coded.data) < len(plain.data) / 2
    assert decoded(coded) == plain.data


def test_a_client_that_takes_only_gzip_gets_gzip(app, client):
    with app.app_context():
        make_article()
    coded = client.get("/feed/", headers={"Accept-Encoding": "gzip"})

    assert coded.headers["Content-Encoding"] == "gzip"
    assert coded.mimetype == "application/atom+xml"
    assert b"<feed" in decoded(coded)


def test_a_client_that_names_no_coding_gets_the_bytes_as_they_are_and_caches_are_told(app, client):
    with app.app_context():
        make_article()
    plain = client.get("/sitemap.xml")

    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert plain.data.startswith(b"<?xml")


def test_an_article_page_reads_the_same_whatever_the_coding(app, client):
    with app.app_context():
        make_article("long-read", html="<p>Words.</p>" * 200)
    rendered = client.get("/long-read/", headers=BR)  # the page cache renders its copy
    kept = client.get("/long-read/", headers=BR)  # and serves it

    for response in (rendered, kept):
        text = decoded(response).decode()
        assert "Leave a Reply" in text and text.count("<p>Words.</p>") == 200
        assert 'name="csrf_token"' in text and "csrf.placeholder" not in text


def test_head_and_tiny_bodies_are_left_alone(app, client):
    with app.app_context():
        make_article()

    head = client.head("/", headers=BR)
    assert head.status_code == 200 and "Content-Encoding" not in head.headers
    health = client.get("/healthz", headers=BR)
    assert health.data == b"ok" and "Content-Encoding" not in health.headers


def test_no_transform_already_coded_and_non_text_bodies_are_left_alone(app):
    big = "x" * 5000

    @app.get("/test/no-transform")
    def no_transform():
        return Response(big, mimetype="text/plain", headers={"Cache-Control": "no-transform"})

    @app.get("/test/coded")
    def coded():
        return Response(gzip.compress(big.encode()), mimetype="text/plain", headers={"Content-Encoding": "gzip"})

    @app.get("/test/binary")
    def binary():
        return Response(b"\0" * 5000, mimetype="application/octet-stream")

    client = app.test_client()
    assert client.get("/test/no-transform", headers=BR).data == big.encode()
    assert gzip.decompress(client.get("/test/coded", headers=BR).data) == big.encode()
    assert "Content-Encoding" not in client.get("/test/binary", headers=BR).headers


def test_a_compressed_body_has_its_own_strong_etag(app):
    @app.get("/test/json")
    def data():
        response = jsonify(words=["compressed"] * 500)
        response.set_etag("v1")
        return response

    client = app.test_client()
    plain = client.get("/test/json")
    coded = client.get("/test/json", headers=BR)

    assert plain.headers["ETag"] == '"v1"'
    assert coded.headers["ETag"] == '"v1-br"'
    assert decoded(coded) == plain.data
