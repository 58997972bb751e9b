"""Run the blog as production does (`flask serve`, granian) on a fresh database; talk to it as a browser would.

Shared by `make stress`, `make bench` and the tests that attack a running server.
"""

import base64
import getpass
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
import sqlalchemy as sa
from requests.cookies import merge_cookies

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEED_SLUG = "diplomatic-meeting-between-north-korea-and-pakistan"
# Debian's Chromium, headless in a container: the browser tests and `make screenshots` launch it so.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Return Debian's Chromium (or $CHROMIUM); Playwright's own download cannot work on these machines."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(kind: str, folder: Path) -> tuple[str, callable]:
    """Return (URL, cleanup) for an empty database: a SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'blog.sqlite3'}", lambda: None
    base = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    schema = f"live_{secrets.token_hex(4)}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}", drop


# The key a live blog encrypts commenters' emails with: the caller's FLASK_DATA_KEY, else one made for this
# process, so that a blog restarted on another's database (after a crash) reads what the first one stored.
DATA_KEY = os.environ.get("FLASK_DATA_KEY") or base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def wait_until_healthy(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    """Wait for the blog at ``url`` to answer /healthz; raise RuntimeError if its server exits or never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no answer from {url}/healthz")


class LiveBlog:
    """The blog as production serves it (``flask serve``) on a fresh database:
    ``with LiveBlog("sqlite", workers=4) as blog: ...``.

    With ``database_url`` it runs on that database instead (say, another LiveBlog's, to restart on the
    same data after a crash) and leaves it in place when it stops.
    """

    def __init__(self, kind="sqlite", workers=4, env=None, publish=True, database_url=None):
        self.kind = kind
        self.given_database_url = database_url
        self.workers = workers
        self.tmp = Path(tempfile.mkdtemp(prefix="blog-live-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env or {}
        self.publish = publish
        self.proc = None
        self._drop = lambda: None

    def __enter__(self):
        if self.given_database_url:
            self.database_url = self.given_database_url
        else:
            self.database_url, self._drop = fresh_database(self.kind, self.tmp)
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": secrets.token_hex(16),
            "FLASK_DATA_KEY": DATA_KEY,
            "FLASK_COMMENT_FLOOD_SECONDS": "0",
            "FLASK_CONTENT_DIR": str(ROOT / "content"),
            **self.extra_env,
        }
        self.env.pop("FLASK_DEBUG", None)
        self.flask("db", "upgrade")
        if self.publish:
            self.flask("content", "publish")
        self.log = open(self.tmp / "server.log", "w")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            [
                str(BIN / "flask"),
                "--app",
                "blog",
                "serve",
                "--port",
                str(self.port),
                *(["--workers", str(self.workers)] if self.workers else []),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_healthy(self.url, self.proc)
        except RuntimeError:
            self.__exit__()
            raise RuntimeError("the blog did not start: " + (self.tmp / "server.log").read_text()[-2000:]) from None
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        if getattr(self, "log", None):
            self.log.close()
        self._drop()

    def crash(self):
        """Kill the whole server at once (master and workers), as a power cut or the OOM killer would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(15)

    def flask(self, *args, input=None):
        return subprocess.run(
            [str(BIN / "flask"), "--app", "blog", *args],
            cwd=ROOT,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )

    def worker_pids(self) -> list[int]:
        # From /proc, not pgrep: the benchmark samples this 20 times a second on the cores it measures.
        pid = self.proc.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
            return [int(p) for p in out.split()]

    def rss_bytes(self) -> int:
        """Resident memory of the whole server: the master and every worker."""
        total = 0
        for pid in [self.proc.pid, *self.worker_pids()]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def engine(self):
        return sa.create_engine(self.database_url)


class _LoopbackIsSecure(DefaultCookiePolicy):
    """Send ``Secure`` cookies to http://127.0.0.1, as browsers do (loopback is a secure context).

    Outside debug the blog marks its cookies ``Secure`` (SPEC §6), the author and edit cookies too;
    a plain cookie jar would drop them on the way back.
    """

    def return_ok_secure(self, cookie, request):
        if urlsplit(request.get_full_url()).hostname in ("127.0.0.1", "localhost", "::1"):
            return True
        return super().return_ok_secure(cookie, request)


class BrowserSession(requests.Session):
    """A requests session that keeps and sends cookies as a browser on this machine would."""

    def __init__(self):
        super().__init__()
        self.cookies.set_policy(_LoopbackIsSecure())

    def prepare_request(self, request):
        # requests merges the cookies into a fresh jar with the default policy; send ours instead.
        prepared = super().prepare_request(request)
        prepared.prepare_cookies(merge_cookies(self.cookies.copy(), request.cookies or {}))
        return prepared


class _Forms(HTMLParser):
    """Every form of a page, as a browser would submit it untouched: its attributes and its fields
    (inputs other than buttons, checked boxes, textareas)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict, dict]] = []
        self._form = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = (a, {})
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        fields, name = self._form[1], a["name"]
        if tag == "input" and a.get("type") not in ("submit", "button", "reset", "image"):
            if a.get("type") not in ("checkbox", "radio"):
                fields[name] = a.get("value") or ""
            elif "checked" in a:
                fields[name] = a.get("value", "on")
        elif tag == "textarea":
            self._textarea = name
            fields[name] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form[1][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def page_forms(html: str) -> list[tuple[dict, dict]]:
    """The forms of a page in order, each as (its attributes, the fields a browser would send)."""
    parser = _Forms()
    parser.feed(html)
    parser.close()
    return parser.forms


def page_form(html: str, form_id: str = "commentform") -> tuple[dict, dict]:
    """The form with this id (the comment form by default), as (its attributes, its fields)."""
    for attrs, fields in page_forms(html):
        if attrs.get("id") == form_id:
            return attrs, fields
    raise AssertionError(f"no #{form_id} form on the page")


def form_fields(html: str, form_id: str = "commentform") -> dict:
    """The fields the form with this id would send untouched (the comment form by default)."""
    return page_form(html, form_id)[1]


def form_token(html: str) -> str:
    """The CSRF token of the page's first form that carries one."""
    for _attrs, fields in page_forms(html):
        if fields.get("csrf_token"):
            return fields["csrf_token"]
    raise AssertionError("no CSRF token on the page")


def comment_form(session: requests.Session, page_url: str) -> tuple[str, dict]:
    """GET an article page; return (form action URL, its default fields)."""
    r = session.get(page_url, timeout=15)
    r.raise_for_status()
    attrs, fields = page_form(r.text)
    action = attrs.get("action") or page_url
    if action.startswith("/"):
        action = re.match(r"https?://[^/]+", page_url).group(0) + action
    return action, fields


def post_comment(session, base_url, slug, text, author, email, url="", parent=None, form=None):
    """Post a comment as a browser would; returns the response (redirects not followed)."""
    action, fields = form or comment_form(session, f"{base_url}/{slug}/")
    data = {**fields, "comment": text, "author": author, "email": email, "url": url}
    if parent is not None:
        data["comment_parent"] = str(parent)
    return session.post(action, data=data, allow_redirects=False, timeout=30)


def nginx_config(site: Path, listen: int, blog: int, cache: Path) -> str:
    """deploy/nginx.conf with these ports and paths, for the http block Debian's nginx.conf gives it."""
    text = site.read_text()
    for production, here in [
        ("listen 80", f"listen 127.0.0.1:{listen}"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{blog};"),
        ("server_name blog.example.org;", "server_name 127.0.0.1;"),
        ("/srv/blog/static/", f"{ROOT}/static/"),
        ("proxy_cache_path /var/cache/nginx/blog ", f"proxy_cache_path {cache} "),
    ]:
        assert production in text, f"deploy/nginx.conf no longer holds {production!r}: update scripts/live.py"
        text = text.replace(production, here)
    return text


class DeployNginx:
    """nginx with deploy/nginx.conf in front of a blog on ``blog_port``, in the foreground with a prefix
    folder of its own: no root, nothing outside the folder (tests/test_deploy.py, scripts/bench.py)."""

    def __init__(self, blog_port: int, workers: str = "1"):
        self.root = Path(tempfile.mkdtemp(prefix="blog-nginx-"))
        self.port = free_port()
        (self.root / "site.conf").write_text(
            nginx_config(ROOT / "deploy" / "nginx.conf", self.port, blog_port, self.root / "cache")
        )
        temp = " ".join(f"{kind}_temp_path {self.root / kind};" for kind in ("client_body", "proxy", "fastcgi"))
        # Started as root, nginx runs its workers as nobody, who cannot read a checkout inside a private
        # folder (mkdtemp makes them 0700): here they run as whoever runs the tests, as the README's
        # deployment has nginx's user read the static folder.
        user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
        (self.root / "nginx.conf").write_text(
            f"{user}daemon off; worker_processes {workers}; pid nginx.pid; error_log error.log;\n"
            "events { worker_connections 1024; }\n"
            "http { include /etc/nginx/mime.types; access_log off; sendfile on; tcp_nopush on; "
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


def approve(blog: LiveBlog, base: str, comment_id: int) -> None:
    """Approve a comment as a moderator does, signed in at ``base`` (behind nginx, the moderator's cookie
    takes them past its cache)."""
    password = f"pw-{os.getpid()}-{time.monotonic_ns()}"
    name = f"mod{time.monotonic_ns() % 10**9}"
    blog.flask("moderator", "create", name, "--password-stdin", input=password + "\n")
    moderator = BrowserSession()
    page = moderator.get(f"{base}/admin/login", timeout=10)
    signed_in = moderator.post(
        f"{base}/admin/login",
        data={"csrf_token": form_token(page.text), "username": name, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 303, signed_in.text[:300]
    token = form_token(moderator.get(f"{base}/admin/comments", timeout=10).text)
    data = {"csrf_token": token, "next": "/admin/comments"}
    done = moderator.post(f"{base}/admin/comments/{comment_id}/approve", data=data, allow_redirects=False, timeout=10)
    assert done.status_code == 303
