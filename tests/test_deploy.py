"""The deployment of the README: the blog under ``flask serve`` (granian), behind nginx with deploy/nginx.conf.

granian reads request headers on its own threads, but the app reads a request's body on one of its few
Python threads, so a few clients that send half a body and wait stall the bare blog; behind nginx, which
takes whole requests before passing them on, they cost nothing. nginx hands the blog the client's
real address, and a client's own X-Forwarded-For or SCRIPT_NAME header changes nothing.
"""

import os
import re
import shutil
import socket
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from blog.core.assets import hashed_name
from scripts.live import (
    SEED_SLUG,
    BrowserSession,
    DeployNginx,
    LiveBlog,
    approve,
    comment_form,
    post_comment,
)
from tests.conftest import ROOT, require

pytestmark = pytest.mark.slow
WORKERS = 2
SLOW_CLIENTS = WORKERS + 2
CLIENT_ADDRESS = "127.0.0.2"  # loopback too, but not the address nginx itself connects to the blog from


def kind():
    # The suite runs once per database; this test follows it (LiveBlog makes its own PostgreSQL schema).
    return "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else "sqlite"


@pytest.fixture(scope="module")
def servers():
    require(shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(), "nginx is not installed")
    with LiveBlog(kind(), workers=WORKERS, env={"FLASK_TRUSTED_PROXIES": "1"}) as blog, DeployNginx(blog.port) as nginx:
        yield blog, nginx


def stall(port: int, n: int, partial: bytes) -> list[socket.socket]:
    """Open n connections that send the start of a request and then nothing."""
    sockets = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(partial)
        sockets.append(s)
    time.sleep(0.3)  # let the server take them up
    return sockets


def healthz(port: int, timeout: float) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=timeout)


HALF_HEADER = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
HALF_BODY = (
    f"POST /{SEED_SLUG}/comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncomment="
).encode()


def test_slow_clients_stall_the_bare_server():
    """The attack nginx is there for: without it, half-sent comments hold every Python thread.

    On a server of its own with one worker (the default), since which of several workers takes a
    connection is the kernel's choice: two slow clients could both land on one of them."""
    with LiveBlog(kind(), workers=1) as blog:
        sockets = stall(blog.port, 2, HALF_BODY)
        try:
            with pytest.raises(requests.Timeout):
                healthz(blog.port, timeout=1)
        finally:
            for s in sockets:
                s.close()
        assert healthz(blog.port, timeout=10).status_code == 200  # the thread is free again


@pytest.mark.parametrize("partial", [HALF_HEADER, HALF_BODY], ids=["half a header", "half a body"])
def test_behind_nginx_slow_clients_cost_no_worker(servers, partial):
    _, nginx = servers
    sockets = stall(nginx.port, SLOW_CLIENTS * 2, partial)
    try:
        for _ in range(3):
            started = time.monotonic()
            response = healthz(nginx.port, timeout=5)
            assert response.status_code == 200 and response.text.strip() == "ok"
            assert time.monotonic() - started < 5
    finally:
        for s in sockets:
            s.close()


class FromAddress(requests.adapters.HTTPAdapter):
    """Connect from a given local address, as a reader elsewhere on the network would."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def test_the_blog_stores_the_client_address_nginx_saw(servers):
    blog, nginx = servers
    reader = BrowserSession()
    reader.mount("http://", FromAddress(CLIENT_ADDRESS))
    # A client's own forwarding headers are replaced by nginx, not passed on.
    reader.headers.update({"X-Forwarded-For": "198.51.100.66", "X-Forwarded-Host": "evil.example"})
    base = f"http://127.0.0.1:{nginx.port}"
    tag = f"deploy{os.getpid()}x{time.monotonic_ns()}"
    response = post_comment(reader, base, SEED_SLUG, f"Through nginx, {tag}.", "Nginx Reader", f"{tag}@example.org")
    assert response.status_code == 303, response.text[:500]
    assert response.headers["Location"].startswith(f"/{SEED_SLUG}/?unapproved=")
    engine = blog.engine()
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT author_ip FROM comment WHERE raw_text LIKE :tag"), {"tag": f"%{tag}%"}
            ).scalar_one()
    finally:
        engine.dispose()
    assert stored == CLIENT_ADDRESS


def test_nginx_serves_static_files_and_drops_unknown_hosts(servers):
    _, nginx = servers
    css = requests.get(f"http://127.0.0.1:{nginx.port}/static/css/site.css", timeout=5)
    assert css.status_code == 200
    assert css.content == (ROOT / "static" / "css" / "site.css").read_bytes()
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    assert "Server" not in css.headers or css.headers["Server"] == "nginx"  # no version
    # Under the content-hashed name pages link (blog/core/assets.py): the same bytes, kept a year, gzipped.
    body = (ROOT / "static" / "js" / "comment-reply.js").read_bytes()
    url = f"http://127.0.0.1:{nginx.port}/static/{hashed_name('js/comment-reply.js', body)}"
    script = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert script.status_code == 200 and script.content == body  # requests undoes the gzip
    assert script.headers["Content-Encoding"] == "gzip"
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{nginx.port}/healthz", headers={"Host": "evil.example"}, timeout=5)


def raw_get(port: int, path: bytes, header: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b"\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    "header", [b"SCRIPT_NAME: /x", b"Script-Name: ../", b"SCRIPT_NAME: \xff\xfe", b"PATH_INFO: /x"]
)
@pytest.mark.parametrize("path", [b"/healthz", f"/{SEED_SLUG}/".encode(), b"/admin/comments"])
def test_a_script_name_header_never_makes_a_500(servers, header, path):
    """A server may take WSGI variables from headers: gunicorn took a SCRIPT_NAME header from a client on
    an address it trusts (127.0.0.1, where nginx connects from) and answered 500 when the path did not
    start with it. Neither the blog's server nor nginx in front of it may."""
    blog, nginx = servers
    for port in (blog.port, nginx.port):
        status = raw_get(port, path, header)
        assert status.split()[1] in (b"200", b"302"), (port, status)


# -- the page cache in front of the blog ---------------------------------------------------------------------


ENCODINGS = ("br", "gzip", "identity")  # nginx keeps one copy of a page for each


def article_url(nginx) -> str:
    return f"http://127.0.0.1:{nginx.port}/{SEED_SLUG}/"


def index_url(nginx) -> str:
    return f"http://127.0.0.1:{nginx.port}/"


def count_on_index(page: str) -> str:
    """The seed article's comment count as the index shows it ("3 comments")."""
    return re.search(rf'href="/{SEED_SLUG}/#comments">([^<]+)<', page).group(1)


def until_cached(session, url: str, **headers) -> requests.Response:
    """GET until nginx answers from its cache (a HIT); the page is kept a second at a time."""
    for _ in range(50):
        response = session.get(url, headers=headers, timeout=5)
        if response.headers.get("X-Cache-Status") == "HIT":
            return response
        time.sleep(0.02)
    raise AssertionError(f"never a HIT: {response.headers.get('X-Cache-Status')}")


def test_an_approved_comment_is_on_the_cached_page_within_2_seconds(servers):
    blog, nginx = servers
    reader, author = requests.Session(), BrowserSession()
    for encoding in ENCODINGS:  # every form of the page, and of the index, is in nginx's cache now
        until_cached(reader, article_url(nginx), **{"Accept-Encoding": encoding})
        until_cached(reader, index_url(nginx), **{"Accept-Encoding": encoding})

    def index_count(encoding: str) -> str:
        return count_on_index(reader.get(index_url(nginx), headers={"Accept-Encoding": encoding}, timeout=5).text)

    count_before = index_count("identity")
    tag = f"fresh{os.getpid()}x{time.monotonic_ns()}"
    posted = post_comment(
        author, f"http://127.0.0.1:{nginx.port}", SEED_SLUG, f"Soon seen, {tag}.", "Fresh", "f@example.org"
    )
    assert posted.status_code == 303
    comment_id = int(posted.headers["Location"].split("unapproved=")[1].split("&")[0])
    for encoding in ENCODINGS:  # held: nobody else sees it
        assert tag not in until_cached(reader, article_url(nginx), **{"Accept-Encoding": encoding}).text
    approve(blog, f"http://127.0.0.1:{nginx.port}", comment_id)
    approved_at = time.monotonic()
    # nginx counts in whole seconds: a copy said to be good for a second (s-maxage=1) is served for one to
    # two, so a copy made just before the approval may be served until just under 2 s after it.
    for encoding in ENCODINGS:
        while tag not in reader.get(article_url(nginx), headers={"Accept-Encoding": encoding}, timeout=5).text:
            assert time.monotonic() - approved_at < 2, f"not on the {encoding} page 2 s after its approval"
            time.sleep(0.05)
        while index_count(encoding) == count_before:
            assert time.monotonic() - approved_at < 2, f"not counted on the {encoding} index 2 s after its approval"
            time.sleep(0.05)


def test_a_reader_with_a_cookie_of_their_own_bypasses_the_cache(servers):
    _, nginx = servers
    until_cached(requests.Session(), article_url(nginx))
    until_cached(requests.Session(), index_url(nginx))
    for cookie in (
        "comment_author=x",
        "comment_edit_12=x",
        "blog_session=x",
        "remember_token=x",
        "a=b; comment_author=x",
    ):
        response = requests.get(article_url(nginx), headers={"Cookie": cookie}, timeout=5)
        assert response.headers["X-Cache-Status"] == "BYPASS", cookie
        assert response.headers["Cache-Control"] == "private, no-cache", cookie
        index = requests.get(index_url(nginx), headers={"Cookie": cookie}, timeout=5)
        assert index.headers["X-Cache-Status"] == "BYPASS", cookie
    for cookie in ("", "theme=dark", "not_comment_author=x"):
        assert until_cached(requests.Session(), article_url(nginx), Cookie=cookie).status_code == 200
    for url in (article_url(nginx) + "?replytocom=1", index_url(nginx) + "?page=2", index_url(nginx) + "search/?q=x"):
        response = requests.get(url, timeout=5, allow_redirects=False)  # /?page=2 moves to /page/2/
        assert response.headers["X-Cache-Status"] == "BYPASS", url


def test_nginx_keeps_the_listings_and_feeds_but_nothing_else(servers):
    _, nginx = servers
    base = f"http://127.0.0.1:{nginx.port}"
    article = requests.get(article_url(nginx), timeout=5).text
    tag = re.search(r'href="(/tag/[^/"]+/)"', article).group(1)
    year, month = re.search(r'datetime="([0-9]{4})-([0-9]{2})', article).groups()
    session = requests.Session()
    for path in ("/", tag, f"/{year}/", f"/{year}/{month}/", "/feed/", f"{tag}feed/", "/comments/feed/"):
        assert until_cached(session, base + path).status_code == 200, path
    for path in ("/admin/login", "/healthz", "/sitemap.xml"):
        for _ in range(3):
            assert session.get(base + path, timeout=5).headers.get("X-Cache-Status") in (None, "BYPASS"), path


def test_a_cached_page_never_carries_another_readers_data(servers):
    """The author of a pending comment, with their name remembered, reads the page next to anonymous readers."""
    _, nginx = servers
    author = BrowserSession()
    tag = f"mine{os.getpid()}x{time.monotonic_ns()}"
    name = f"Private Name {tag}"
    action, fields = comment_form(author, article_url(nginx))
    data = {**fields, "comment": f"Pending words {tag}.", "author": name, "email": f"{tag}@example.org"}
    data["wp-comment-cookies-consent"] = "yes"
    posted = author.post(action, data=data, allow_redirects=False, timeout=30)
    assert posted.status_code == 303
    cookies = author.cookies.get_dict()
    assert "comment_author" in cookies and any(name.startswith("comment_edit_") for name in cookies)
    own = author.get(f"http://127.0.0.1:{nginx.port}" + posted.headers["Location"], timeout=5)
    assert name in own.text and own.headers["X-Cache-Status"] == "BYPASS"
    mine = author.get(article_url(nginx), timeout=5)
    assert name in mine.text and mine.headers["X-Cache-Status"] == "BYPASS"
    for encoding in ENCODINGS:
        anonymous = until_cached(requests.Session(), article_url(nginx), **{"Accept-Encoding": encoding})
        assert tag not in anonymous.text and "Set-Cookie" not in anonymous.headers
        assert anonymous.headers["Cache-Control"].startswith("public")
