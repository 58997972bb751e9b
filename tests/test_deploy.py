"""The deployment of the README: the blog under gunicorn.conf.py, behind nginx with deploy/nginx.conf.

Bare gunicorn sync workers each hold one connection until its request is whole, so a few clients that send
half a request and wait stall the blog; behind nginx they cost nothing. nginx hands the blog the client's
real address, and a client's own X-Forwarded-For or SCRIPT_NAME header changes nothing.
"""

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from blog.core.assets import hashed_name
from scripts.live import SEED_SLUG, BrowserSession, LiveBlog, free_port, post_comment
from tests.conftest import ROOT, require

pytestmark = pytest.mark.slow
WORKERS = 2
SLOW_CLIENTS = WORKERS + 2
CLIENT_ADDRESS = "127.0.0.2"  # loopback too, but not the address nginx itself connects to gunicorn from


def kind():
    # The suite runs once per database; this test follows it (LiveBlog makes its own PostgreSQL schema).
    return "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else "sqlite"


def nginx_config(site: Path, listen: int, gunicorn: int) -> str:
    """deploy/nginx.conf with this test's ports and paths, in the http block Debian's nginx.conf gives it."""
    text = site.read_text()
    for production, here in [
        ("listen 80", f"listen 127.0.0.1:{listen}"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{gunicorn};"),
        ("server_name blog.example.org;", "server_name 127.0.0.1;"),
        ("/srv/blog/static/", f"{ROOT}/static/"),
    ]:
        assert production in text, f"deploy/nginx.conf no longer holds {production!r}: update this test"
        text = text.replace(production, here)
    return text


class Nginx:
    """nginx in the foreground with a prefix folder of its own: no root, nothing outside the folder."""

    def __init__(self, gunicorn_port: int):
        self.root = Path(tempfile.mkdtemp(prefix="blog-nginx-"))
        self.port = free_port()
        (self.root / "site.conf").write_text(nginx_config(ROOT / "deploy" / "nginx.conf", self.port, gunicorn_port))
        temp = " ".join(f"{kind}_temp_path {self.root / kind};" for kind in ("client_body", "proxy", "fastcgi"))
        # Started as root, nginx runs its workers as nobody, who cannot read a checkout inside a private
        # folder (mkdtemp makes them 0700): here they run as whoever runs the tests, as the README's
        # deployment has nginx's user read the static folder.
        user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
        (self.root / "nginx.conf").write_text(
            f"{user}daemon off; worker_processes 1; pid nginx.pid; error_log error.log;\n"
            "events { worker_connections 256; }\n"
            "http { include /etc/nginx/mime.types; access_log off; "
            f"{temp} uwsgi_temp_path {self.root / 'uwsgi'}; scgi_temp_path {self.root / 'scgi'}; "
            "include site.conf; }\n"
        )
        self.nginx = shutil.which("nginx") or "/usr/sbin/nginx"

    def __enter__(self):
        args = [self.nginx, "-p", str(self.root), "-c", "nginx.conf", "-e", "error.log"]
        checked = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        self.proc = subprocess.Popen(args, start_new_session=True, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("nginx did not start: " + (self.root / "error.log").read_text()[-2000:])

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def servers():
    require(shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(), "nginx is not installed")
    with LiveBlog(kind(), workers=WORKERS, env={"FLASK_TRUSTED_PROXIES": "1"}) as blog, Nginx(blog.port) as nginx:
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
HALF_BODY = b"POST /x/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\ncomment="


def test_slow_clients_stall_bare_gunicorn(servers):
    """The attack nginx is there for: without it, half-sent requests hold every sync worker."""
    blog, _ = servers
    sockets = stall(blog.port, SLOW_CLIENTS, HALF_HEADER)
    try:
        with pytest.raises(requests.Timeout):
            healthz(blog.port, timeout=1)
    finally:
        for s in sockets:
            s.close()
    assert healthz(blog.port, timeout=10).status_code == 200  # the workers are free again


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
    """gunicorn took a SCRIPT_NAME header from a client on an address it trusts (127.0.0.1, where nginx
    connects from) and answered 500 when the path did not start with it."""
    blog, nginx = servers
    for port in (blog.port, nginx.port):
        status = raw_get(port, path, header)
        assert status.split()[1] in (b"200", b"302"), (port, status)
