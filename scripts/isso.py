"""Isso 0.14, the comment server the blog is measured beside in `make bench`: same machine, same run.

Isso comes from PyPI into a venv of its own (kept in the temporary folder between runs), runs under
gunicorn with 2 sync workers and moderation on, on a thread holding the same number of approved
comments as the blog's article. It serves comments as JSON for a script to draw; there is no page to
compare, so its figures are for its comments endpoint and its comment posts.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

VERSION = "0.14.0"
WORKERS = 2
URI = "/diplomatic-meeting-between-north-korea-and-pakistan/"


def venv() -> Path:
    """Return the bin folder of a venv with Isso and gunicorn, made once."""
    root = Path(tempfile.gettempdir()) / f"bench-isso-{VERSION}"
    if not (root / ".ok").exists():
        print(f"installing Isso {VERSION} from PyPI into {root} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
        pip = subprocess.run(
            [str(root / "bin/python"), "-m", "pip", "install", "-q", f"isso=={VERSION}", "gunicorn"],
            capture_output=True,
            text=True,
        )
        if pip.returncode:
            sys.exit(f"bench: pip could not install Isso {VERSION}: {pip.stderr.strip()[-500:]}")
        (root / ".ok").touch()
    return root / "bin"


def post_request(port: int, body: dict) -> bytes:
    """One comment post to Isso on ``port`` as raw HTTP, as Isso's own script sends it."""
    data = json.dumps(body).encode()
    return (
        f"POST /new?uri={URI} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Connection: close\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode() + data


class Isso:
    """``with Isso(port, comments=100) as isso:``: Isso serving one thread of approved comments."""

    def __init__(self, port: int, comments: int):
        self.port, self.comments = port, comments
        self.url = f"http://127.0.0.1:{port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-isso-"))
        self.db = self.tmp / "comments.db"
        (self.tmp / "isso.cfg").write_text(
            f"[general]\ndbpath = {self.db}\nhost = {self.url}/\n"
            "[moderation]\nenabled = true\n"
            # Isso's guard is its flood rule (and reply limits): off, as the blog's flood rule is
            # lifted for the bench by a new address per post.
            "[guard]\nenabled = false\n"
            f"[server]\nlisten = {self.url}/\n"
        )

    def __enter__(self):
        bin_ = venv()
        env = {**os.environ, "ISSO_SETTINGS": str(self.tmp / "isso.cfg")}
        # Isso makes its database on its first start, in each worker: two workers starting at once on
        # a new database both insert its preferences, and one dies of the UNIQUE constraint. So it is
        # made here first, by loading Isso's app once.
        made = subprocess.run([str(bin_ / "python"), "-c", "import isso.run"], cwd=self.tmp, env=env,
                              capture_output=True, text=True)  # fmt: skip
        if made.returncode or not self.db.exists():
            raise RuntimeError("Isso could not make its database: " + made.stderr[-2000:])
        self.log = open(self.tmp / "server.log", "w")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            [str(bin_ / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}", "isso.run:application"],
            cwd=self.tmp,  # not the project's folder, whose gunicorn.conf.py gunicorn would read
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/?uri={URI}", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise RuntimeError("Isso did not start: " + (self.tmp / "server.log").read_text()[-2000:])
        self._seed()
        return self

    def _seed(self):
        """Post the comments through Isso's API (half of them replies), then approve them all, as a
        moderator would have."""
        with sqlite3.connect(self.db) as conn:  # the thread, as Isso makes it from the page's title
            conn.execute("INSERT OR IGNORE INTO threads (uri, title) VALUES (?, 'The seed article')", (URI,))
        previous = None
        for i in range(self.comments):
            text = (
                f"Comment number {i}: the embassy's role in trade and diplomacy, considered at some "
                f"length, with a link to https://example.org/notes/{i} for the curious."
            )
            body = {"text": text, "author": f"Reader {i}", "email": f"reader{i}@example.org", "website": None}
            body["parent"] = previous if i % 2 and previous else None
            answer = requests.post(f"{self.url}/new", params={"uri": URI}, json=body, timeout=10)
            answer.raise_for_status()
            previous = answer.json()["id"]
        with sqlite3.connect(self.db) as conn:
            conn.execute("UPDATE comments SET mode = 1")
        shown = requests.get(f"{self.url}/?uri={URI}", timeout=10).json()

        def count(replies):
            return sum(1 + count(reply.get("replies", [])) for reply in replies)

        if count(shown["replies"]) != self.comments:
            raise RuntimeError(f"Isso shows {count(shown['replies'])} of the {self.comments} comments")

    def comments_url(self) -> str:
        return f"{self.url}/?uri={URI}"

    def stored(self, prefix: str) -> tuple[int, int]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(
                "SELECT count(*), count(DISTINCT author) FROM comments WHERE author LIKE ?", (f"{prefix}%",)
            ).fetchone()

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [self.proc.pid, *map(int, children.read_text().split())]
        except OSError:
            return [self.proc.pid]

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        self.log.close()
