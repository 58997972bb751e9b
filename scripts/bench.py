"""`make bench`: the article page and comment posts against the physical limit (nginx, same bytes)
and against Isso, the listing pages and the search over 1,000 articles, and publishing.

Starts the blog under `flask serve` (granian, blog/core/server.py) on its own SQLite database seeded with
the seed article and 100, then 1,000 approved threaded comments; saves the page; serves the saved bytes from
nginx (a worker per core) on another port; runs wrk (-t2 -c16) against both, and against the blog
behind deploy/nginx.conf (its page cache, a worker per core), where it also times how soon a moderator's
approval is on the page an anonymous reader gets, under wrk's load; posts comments from 8
concurrent clients; runs Isso 0.14 (scripts/isso.py) with the same 100 comments and does the same to
its comments endpoint and its posts; reports each server's whole PSS;
serves the seed content and 1,000 generated articles and runs wrk against index page 2, a tag page,
a month archive, /comments/feed/ and a one-word search (a word in many articles, one in few), beside
the article page for scale; times publishing 1,000 generated articles; prints one table for each.
``--only`` runs some of these scenarios. Installs wrk and nginx when absent (as root)."""

import argparse
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from blog import create_app  # noqa: E402
from blog.core.extensions import db  # noqa: E402
from blog.core.models import Article, Comment, CommentStatus  # noqa: E402
from blog.core.sanitize import clean_comment  # noqa: E402
from blog.publishing.publish import publish  # noqa: E402
from blog.publishing.tags import tag_slug  # noqa: E402
from blog.reading.versions import touch_article  # noqa: E402
from scripts import isso as isso_server  # noqa: E402
from scripts.live import (  # noqa: E402
    BIN,
    DATA_KEY,
    ROOT,
    SEED_SLUG,
    BrowserSession,
    DeployNginx,
    LiveBlog,
    approve,
    comment_form,
    free_port,
    post_comment,
)


def ensure_tools():
    missing = [t for t in ("wrk", "nginx") if not shutil.which(t) and not Path(f"/usr/sbin/{t}").exists()]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"bench needs {' and '.join(missing)}: apt-get install {' '.join(missing)}")
    print(f"installing {' '.join(missing)} from Debian …", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    pkgs = ["wrk" if t == "wrk" else "nginx-light" for t in missing]
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *pkgs], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    )


def bench_settings(database_url: str) -> dict:
    """The settings of the benchmark's own app on a live blog's database (the live blog's data key)."""
    return {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "DATA_KEY": DATA_KEY, "TESTING": False}


def seed_comments(database_url: str, count: int):
    """Insert ``count`` approved comments, half of them replies, as the moderation queue would leave them."""

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "DATA_KEY": DATA_KEY, "TESTING": False}
    )
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == SEED_SLUG))
        start = datetime.now(UTC) - timedelta(days=30)
        previous = None
        for i in range(count):
            text = (
                f"Comment number {i}: the embassy's role in trade and diplomacy, considered at some "
                f"length, with a link to https://example.org/notes/{i} for the curious."
            )
            c = Comment(
                article_id=article.id,
                parent_id=previous.id if i % 2 and previous else None,
                author_name=f"Reader {i}",
                author_email=f"reader{i}@example.org",
                author_url="https://example.net/" if i % 3 == 0 else "",
                author_ip="192.0.2.7",
                raw_text=text,
                html=clean_comment(text),
                status=CommentStatus.APPROVED,
                reasons=["held for moderation"],
                created_at=start + timedelta(minutes=i),
                approved_at=start + timedelta(minutes=i + 5),
            )
            db.session.add(c)
            db.session.flush()
            previous = c
        touch_article(article.id)
        db.session.commit()
        db.engine.dispose()


def wrk(url: str, seconds: int) -> dict:
    subprocess.run(["wrk", "-t2", "-c16", "-d2s", url], capture_output=True)  # warm up
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url], capture_output=True, text=True
    ).stdout

    def ms(label):
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("nan")

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1) if errors else "",
    }


class Nginx:
    """nginx serving one saved page as a static file, the physical limit to compare with: as fast as it
    goes here (a worker per core, sendfile, open files cached, no access log)."""

    def __init__(self, body: bytes):
        self.root = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        (self.root / "www" / SEED_SLUG).mkdir(parents=True)
        (self.root / "www" / SEED_SLUG / "index.html").write_bytes(body)
        self.port = free_port()
        r = self.root
        (r / "nginx.conf").write_text(f"""
worker_processes auto; daemon off; pid {r}/nginx.pid; error_log {r}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; open_file_cache max=16 inactive=60s;
  keepalive_requests 100000; client_body_temp_path {r}; proxy_temp_path {r};
  fastcgi_temp_path {r}; uwsgi_temp_path {r}; scgi_temp_path {r};
  server {{ listen 127.0.0.1:{self.port}; root {r}/www; index index.html; }} }}""")

    def __enter__(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", str(self.root / "nginx.conf")], start_new_session=True)
        time.sleep(0.5)
        if self.proc.poll() is not None:
            sys.exit("bench: nginx did not start: " + (self.root / "error.log").read_text()[-500:])
        return f"http://127.0.0.1:{self.port}/{SEED_SLUG}/"

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


class PeakRSS(threading.Thread):
    def __init__(self, blog):
        super().__init__(daemon=True)
        self.blog, self.peak, self.running = blog, 0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.blog.rss_bytes())
            time.sleep(0.05)

    def stop(self):
        self.running = False
        self.join()
        return self.peak


def _send(address, request: bytes) -> int:
    """Send one request on a connection of its own and return the answer's status."""
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        while sock.recv(65536):  # the server closes when it is done
            pass
    return int(answer[9:12] or 0)


def _poster(args):
    """One client: read the form once as a browser would, then post over bare sockets.

    The client shares the two cores with the server, so it must cost little: each post is a request
    written from a template and one read of the answer's status line, not an HTTP library's work."""
    base, tag, client, start, seconds = args
    session = BrowserSession()
    action, fields = comment_form(session, f"{base}/{SEED_SLUG}/")
    target = urlsplit(action)
    address = (target.hostname, target.port)
    head = (  # no cookie: the form's token is the article's, the same for every reader
        f"POST {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
    ).encode()
    fixed = urlencode({k: v for k, v in fields.items() if k not in ("comment", "author", "email")})

    def post(i: int) -> int:
        who = f"{tag}-{client}-{i}"
        body = (
            f"{fixed}&comment={tag}+c{client}+n{i}%3A+a+thought+of+its+own%2C+number+{i}."
            f"&author={who}&email={who}%40example.org"
        ).encode()
        # Each post from a reader of its own, as through the proxy the README deploys behind, so
        # the flood rule (one comment per address per COMMENT_FLOOD_SECONDS) runs and lets it by.
        reader = f"10.{client}.{i // 250 % 250}.{i % 250 + 1}".encode()
        return _send(
            address, b"%sX-Forwarded-For: %s\r\nContent-Length: %d\r\n\r\n%s" % (head, reader, len(body), body)
        )

    # Every client has its form before the clock starts: the posts/s are of posting alone.
    return client, *_timed_posts(start, seconds, post, ok={303})


def _isso_poster(args):
    """One client posting to Isso as its script does (JSON), over bare sockets like ``_poster``."""
    port, tag, client, start, seconds = args

    def post(i: int) -> int:
        who = f"{tag}-{client}-{i}"
        text = f"{tag} c{client} n{i}: a thought of its own, number {i}."
        body = {"text": text, "author": who, "email": f"{who}@example.org", "website": None, "parent": None}
        return _send(("127.0.0.1", port), isso_server.post_request(port, body))

    return client, *_timed_posts(start, seconds, post, ok={201, 202})  # 202: held for moderation


def _timed_posts(start: float, seconds: float, post, ok: set[int]) -> tuple[list[int], dict[int, int]]:
    """From ``start`` (a time.time()) for ``seconds``, call ``post(0)``, ``post(1)``, …; return the
    numbers of the posts answered with a status in ``ok``, and how many got each other status."""
    accepted, other, i = [], {}, 0
    time.sleep(max(0.0, start - time.time()))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = post(i)
        if status in ok:
            accepted.append(i)
        else:
            other[status] = other.get(status, 0) + 1
        i += 1
    return accepted, other


def post_load(server, clients=8, seconds=8) -> dict:
    """Post comments from ``clients`` processes for ``seconds`` to the blog, or to Isso."""
    tag = f"bench{os.getpid()}"
    start = time.time() + 3
    if isinstance(server, isso_server.Isso):
        poster, args = _isso_poster, [(server.port, tag, c, start, seconds) for c in range(clients)]
    else:
        poster, args = _poster, [(server.url, tag, c, start, seconds) for c in range(clients)]
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(poster, args)
    accepted = sum(len(a) for _, a, _ in results)
    other = {}
    for _, _, o in results:
        for k, v in o.items():
            other[k] = other.get(k, 0) + v
    if isinstance(server, isso_server.Isso):
        stored = server.stored(f"{tag}-")
    else:
        engine = server.engine()
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT count(*), count(DISTINCT author_name) FROM comment WHERE author_name LIKE :p"),
                {"p": f"{tag}-%"},
            ).one()
        engine.dispose()
    return {
        "posts_per_s": accepted / seconds,
        "accepted": accepted,
        "stored": stored[0],
        "distinct": stored[1],
        "other": other,
    }


def pss_bytes(pids) -> int:
    """Proportional memory of a whole server (master and workers): shared pages counted once."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def page_run(count: int, seconds: int) -> dict:
    # The site's own moderation and flood settings, behind one proxy as the README deploys it.
    settings = {"FLASK_TRUSTED_PROXIES": "1", "FLASK_COMMENT_FLOOD_SECONDS": "15"}
    with LiveBlog("sqlite", workers=None, env=settings) as blog:
        seed_comments(blog.database_url, count)
        url = f"{blog.url}/{SEED_SLUG}/"
        body = requests.get(url, timeout=10).content
        shown = len(re.findall(rb'id="comment-\d+"', body))
        rss = PeakRSS(blog)
        rss.start()
        ours = wrk(url, seconds)
        peak = rss.stop()
        with Nginx(body) as static_url:
            static = wrk(static_url, seconds)
        deployed = through_deploy_nginx(blog, seconds) if count == 100 else None
        rss = PeakRSS(blog)
        rss.start()
        posts = post_load(blog) if count == 100 else None
        post_peak = rss.stop()
        pss = pss_bytes([blog.proc.pid, *blog.worker_pids()])
    result = {
        "count": count,
        "shown": shown,
        "bytes": len(body),
        "ours": ours,
        "nginx": static,
        "deployed": deployed,
        "peak_rss": max(peak, post_peak),
        "pss": pss,
        "posts": posts,
        "isso": None,
    }
    if count == 100:
        with isso_server.Isso(free_port(), count) as isso:
            result["isso"] = {
                "comments": wrk(isso.comments_url(), seconds),
                "posts": post_load(isso),
                "pss": pss_bytes(isso.pids()),
            }
    return result


def through_deploy_nginx(blog: LiveBlog, seconds: int) -> dict:
    """The article through deploy/nginx.conf (a worker per core, as the static nginx), and how soon an
    approved comment is on the page an anonymous reader gets there."""
    with DeployNginx(blog.port, workers="auto") as proxy:
        base = f"http://127.0.0.1:{proxy.port}"
        url = f"{base}/{SEED_SLUG}/"
        cached = wrk(url, seconds)
        visible = approved_visible_after(blog, base, url, seconds)
    return {"wrk": cached, "visible_s": visible}


def approved_visible_after(blog: LiveBlog, base: str, url: str, seconds: int) -> float:
    """Seconds from a moderator's approval to the comment on an anonymous reader's page, under wrk's load."""
    tag = f"bench{time.monotonic_ns()}"
    # A reply to the first comment: a new thread would be on the last comment page, not this one.
    first = int(re.search(r'id="comment-(\d+)"', requests.get(url, timeout=10).text).group(1))
    text, email = f"Seen soon, {tag}.", f"{tag}@example.org"
    posted = post_comment(BrowserSession(), base, SEED_SLUG, text, "Bench Reader", email, parent=first)
    comment_id = int(re.search(r"unapproved=(\d+)", posted.headers["Location"]).group(1))
    load = subprocess.Popen(["wrk", "-t2", "-c16", f"-d{seconds}s", url], stdout=subprocess.DEVNULL)
    try:
        time.sleep(1)
        approve(blog, base, comment_id)
        approved, reader = time.monotonic(), requests.Session()
        while tag not in reader.get(url, timeout=10).text:
            if time.monotonic() - approved > 30:
                return float("inf")
            time.sleep(0.01)
        return time.monotonic() - approved
    finally:
        load.wait()


# The generated articles: one a day from FIRST_DAY (about 30 a month), each with one of TAGS; the
# common word in every other article's text, the rare one in one article of a hundred.
FIRST_DAY = date(2022, 1, 1)
TAGS = ("Trade", "Diplomacy", "Travel notes", "Embassies", "History", "Law", "Food", "Maps", "Letters", "Ports")
COMMON_WORD, RARE_WORD = "harbour", "saffron"


def write_articles(content: Path, n: int):
    """Write ``n`` generated articles (and the cover image they share) into the folder ``content``."""
    (content / "images").mkdir(parents=True, exist_ok=True)
    shutil.copy(next((ROOT / "content" / "images").glob("*.jpg")), content / "images" / "cover.jpg")
    for i in range(n):
        words = (f" by the {COMMON_WORD}" if i % 2 == 0 else "") + (
            f", smelling of {RARE_WORD}" if i % 100 == 0 else ""
        )
        (content / f"article-{i:04d}.md").write_text(
            f"---\ntitle: Generated article {i}\ndate: {FIRST_DAY + timedelta(days=i)}\nauthor: Bench\n"
            f"summary: Article {i} for the publishing benchmark.\ntags: [{TAGS[i % len(TAGS)]}, Bench]\n---\n\n"
            + "".join(
                f"## Section {s}\n\nParagraph {s} of article {i}{words if s == 1 else ''}, with *emphasis*, a "
                f"[link](https://example.org/{i}/{s}) and a list:\n\n- one\n- two\n- three\n\n"
                for s in range(4)
            )
            + '![A cover](images/cover.jpg "The cover, captioned")\n'
        )


def through_page_cache(app, paths) -> dict[str, bool]:
    """Say for each path whether an anonymous reader's second request for it is answered by the page
    cache (blog/reading/pagecache.py) without reaching Flask."""
    cache, client, kept, reached = app.wsgi_app, app.test_client(use_cookies=False), {}, []
    flask = getattr(cache, "wsgi_app", None)  # None: the page cache is off, every request is Flask's
    if flask is None:
        return dict.fromkeys(paths, False)

    def counted(environ, start_response):
        reached.append(environ["PATH_INFO"])
        return flask(environ, start_response)

    cache.wsgi_app = counted
    try:
        for path in paths:
            client.get(path)  # the first reader: rendered, and kept where the cache keeps pages
            before = len(reached)
            client.get(path)
            kept[path] = len(reached) == before
    finally:
        cache.wsgi_app = flask
    return kept


def site_run(seconds: int, scenarios: set[str]) -> dict:
    """The site around the articles: the seed content and 1,000 generated articles published, the
    seed article with 100 approved comments; wrk against the listing pages and the search, beside
    the article page for scale, and the index through deploy/nginx.conf. Returns
    {"rows": [(label, path, size, found or None, wrk figures, cached: True, False or "nginx")]}."""

    folder = Path(tempfile.mkdtemp(prefix="bench-site-"))
    content = folder / "content"
    shutil.copytree(ROOT / "content", content)
    write_articles(content, 1000)
    month = FIRST_DAY + timedelta(days=500)
    rows = [("article, 100 comments", f"/{SEED_SLUG}/")]
    if "listings" in scenarios:
        rows += [
            ("index page 2", "/page/2/"),
            (f"tag ({TAGS[0]})", f"/tag/{tag_slug(TAGS[0])}/"),
            ("month archive", f"/{month:%Y/%m}/"),
            ("comments feed", "/comments/feed/"),
        ]
    if "search" in scenarios:
        rows += [(f"search, common word ({COMMON_WORD})", f"/search/?q={COMMON_WORD}")]
        rows += [(f"search, rare word ({RARE_WORD})", f"/search/?q={RARE_WORD}")]
    with LiveBlog("sqlite", workers=None, env={"FLASK_CONTENT_DIR": str(content)}) as blog:
        seed_comments(blog.database_url, 100)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": blog.database_url,
                "SECRET_KEY": "bench",
                "DATA_KEY": DATA_KEY,
                "TESTING": False,
            }
        )
        cached = through_page_cache(app, [path for _, path in rows])
        results = []
        for label, path in rows:
            page = requests.get(blog.url + path, timeout=30)
            if page.status_code != 200:
                sys.exit(f"bench: {path} answered {page.status_code}, not a page to time")
            found = len(re.findall(rb'<li class="search-result">', page.content)) if "/search/" in path else None
            results.append((label, path, len(page.content), found, wrk(blog.url + path, seconds), cached[path]))
        if "listings" in scenarios:  # the index as the README deploys it: nginx keeps it a second at a time
            with DeployNginx(blog.port, workers="auto") as proxy:
                through = wrk(f"http://127.0.0.1:{proxy.port}/page/2/", seconds)
            size = next(row[2] for row in results if row[1] == "/page/2/")  # its size, as Flask served it
            results.append(("index page 2, through deploy/nginx.conf", "/page/2/", size, None, through, "nginx"))
    shutil.rmtree(folder)
    return {"rows": results}


def publish_run(n=1000) -> dict:
    """Publish ``n`` generated articles, then again with nothing changed: the publish step itself
    (in-process) and the whole command (a new process: interpreter and imports included)."""

    folder = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    content = folder / "content"
    write_articles(content, n)
    url = f"sqlite:///{folder / 'blog.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "FLASK_DATA_KEY": DATA_KEY,
        "FLASK_CONTENT_DIR": str(content),
    }
    env.pop("FLASK_DEBUG", None)
    flask = [str(BIN / "flask"), "--app", "blog"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "DATA_KEY": DATA_KEY})
    times = []
    with app.app_context():
        for _ in range(2):
            t = time.monotonic()
            counts = publish(content)
            times.append((time.monotonic() - t, str(counts)))
        db.engine.dispose()
    t = time.monotonic()
    out = subprocess.run([*flask, "content", "publish"], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    command = (time.monotonic() - t, out.stdout.strip().splitlines()[-1])
    shutil.rmtree(folder)
    return {"first": times[0], "again": times[1], "command": command}


SCENARIOS = {
    "pages": "the article page with 100 and 1,000 comments against nginx, and comment posts",
    "publish": "publishing 1,000 generated articles, then again unchanged",
    "listings": "index page 2, a tag page, a month archive and /comments/feed/ over 1,000 articles",
    "search": f"/search/?q= for a word in many articles ({COMMON_WORD}) and in few ({RARE_WORD})",
}


def scenario_list(text: str) -> set[str]:
    """Parse ``--only``: scenario names separated by commas."""
    chosen = {name.strip() for name in text.split(",") if name.strip()}
    unknown = chosen - SCENARIOS.keys()
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"not a scenario: {', '.join(sorted(unknown)) or text!r}; choose from {', '.join(SCENARIOS)}"
        )
    return chosen


def print_site(site: dict):
    """The listing and search rows, in the article rows' style, each beside the article's req/s."""
    print(
        f"{'page (1,000 articles)':<40}{'page cache':>11}{'found':>6}{'KiB':>6}{'req/s':>9}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'of article':>11}"
    )
    article_rps = site["rows"][0][4]["rps"]
    for label, path, size, found, o, cached in site["rows"]:
        kept = {True: "yes", False: "no"}.get(cached, cached)
        print(
            f"{label:<40}{kept:>11}{'' if found is None else found:>6}{size // 1024:>6}"
            f"{o['rps']:>9.0f}{o['p50']:>8.2f}{o['p99']:>8.2f}{o['rps'] / article_rps:>11.2f}"
        )
        print(f"    {path}" + (f"  non-2xx {o['non2xx']} errors {o['errors']}" if o["non2xx"] or o["errors"] else ""))
    print(
        "page cache: 'yes' where blog/reading/pagecache.py keeps a copy of the page (article pages only); "
        "'no' pages are rendered by Flask on every request; 'nginx' through deploy/nginx.conf, which keeps "
        "every page that is the same for all readers a second at a time"
    )


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="scenarios: " + "; ".join(f"{name}: {what}" for name, what in SCENARIOS.items()),
    )
    p.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    p.add_argument(
        "--only",
        type=scenario_list,
        default=set(SCENARIOS),
        metavar="NAME[,NAME]",
        help=f"run only these scenarios ({', '.join(SCENARIOS)}); all by default",
    )
    args = p.parse_args(argv)
    ensure_tools()
    print(
        f"machine: {os.cpu_count()} cores, {os.uname().machine}, Python {sys.version.split()[0]}; "
        f"flask serve (granian, default workers and threads), SQLite; wrk -t2 -c16 -d{args.seconds}s; "
        f"scenarios: {', '.join(sorted(args.only))}",
        flush=True,
    )
    runs = [page_run(100, args.seconds), page_run(1000, args.seconds)] if "pages" in args.only else None
    site = site_run(args.seconds, args.only) if args.only & {"listings", "search"} else None
    pub = publish_run() if "publish" in args.only else None
    targets = {}
    if runs:
        print()
        print(
            f"{'page':<28}{'comments shown':>15}{'KiB':>6}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'nginx req/s':>12}{'ratio':>7}{'peak RSS MiB':>13}"
        )
        for r in runs:
            o, n = r["ours"], r["nginx"]
            print(
                f"{'article, ' + str(r['count']) + ' comments':<28}{r['shown']:>15}{r['bytes'] // 1024:>6}"
                f"{o['rps']:>9.0f}{o['p50']:>8.2f}{o['p99']:>8.2f}{n['rps']:>12.0f}{o['rps'] / n['rps']:>7.3f}"
                f"{r['peak_rss'] / 2**20:>13.0f}"
            )
            if o["non2xx"] or o["errors"]:
                print(f"    non-2xx {o['non2xx']} errors {o['errors']}")
            if d := r["deployed"]:
                w = d["wrk"]
                print(
                    f"{'  through deploy/nginx.conf':<28}{r['shown']:>15}{r['bytes'] // 1024:>6}"
                    f"{w['rps']:>9.0f}{w['p50']:>8.2f}{w['p99']:>8.2f}{n['rps']:>12.0f}{w['rps'] / n['rps']:>7.3f}"
                    f"{'':>13}"
                )
                if w["non2xx"] or w["errors"]:
                    print(f"    non-2xx {w['non2xx']} errors {w['errors']}")
        posts, isso = runs[0]["posts"], runs[0]["isso"]
        print(
            f"\ncomment POST, 8 clients, default rules (held for moderation; flood check on, a new address "
            f"per post): {posts['posts_per_s']:.0f} posts/s; accepted {posts['accepted']}, "
            f"stored {posts['stored']} ({posts['distinct']} distinct); other answers {posts['other'] or 'none'}"
        )
        ic, ip = isso["comments"], isso["posts"]
        print(
            f"Isso {isso_server.VERSION} beside it (gunicorn, {isso_server.WORKERS} sync workers, moderation on, "
            "guard off), the "
            f"same 100 comments: its comments JSON {ic['rps']:.0f} req/s (p50 {ic['p50']:.2f} ms, p99 "
            f"{ic['p99']:.2f} ms); comment POST {ip['posts_per_s']:.0f} posts/s, accepted {ip['accepted']}, "
            f"stored {ip['stored']}; other answers {ip['other'] or 'none'}"
        )
        print(
            f"posts: ours {posts['posts_per_s'] / ip['posts_per_s']:.2f} x Isso's; whole-server PSS after the "
            f"load: ours {runs[0]['pss'] / 2**20:.0f} MiB (flask serve, its default workers), Isso "
            f"{isso['pss'] / 2**20:.0f} MiB"
        )
        ratio_1000 = runs[1]["ours"]["rps"] / runs[0]["ours"]["rps"]
        print(f"1,000 comments vs 100: {ratio_1000:.2f} of the req/s")
        deployed = runs[0]["deployed"]
        print(
            f"through deploy/nginx.conf: an approved comment is on an anonymous reader's page "
            f"{deployed['visible_s']:.2f} s after the moderator's click, under wrk's load"
        )
        targets |= {
            "article >= 10% of nginx": runs[0]["ours"]["rps"] >= 0.10 * runs[0]["nginx"]["rps"],
            "p99 < 50 ms at 16 connections": runs[0]["ours"]["p99"] < 50,
            "1,000 comments within 20% of 100": ratio_1000 >= 0.8,
            ">= 500 posts/s": posts["posts_per_s"] >= 500,
            "posts >= 2.5 x Isso's": posts["posts_per_s"] >= 2.5 * ip["posts_per_s"],
            "every accepted post stored once": posts["accepted"] == posts["stored"] == posts["distinct"],
            "through deploy/nginx.conf >= 0.8 of nginx": deployed["wrk"]["rps"] >= 0.8 * runs[0]["nginx"]["rps"],
            "approved comment visible within 2 s": deployed["visible_s"] <= 2,
        }
    if site:
        print()
        print_site(site)
    if pub:
        print(
            f"\npublish 1,000 articles: {pub['first'][0]:.1f} s ({pub['first'][1]}); "
            f"again, unchanged: {pub['again'][0]:.1f} s ({pub['again'][1]}) = {pub['again'][0] / pub['first'][0]:.0%}"
        )
        targets["re-publish < 10% of publish"] = pub["again"][0] < 0.10 * pub["first"][0]
    print()
    for name, held in targets.items():
        print(f"{'held ' if held else 'MISSED'}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
