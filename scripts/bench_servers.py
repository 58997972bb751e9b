"""`make bench-servers`: which WSGI server serves the blog's article page best on this machine.

Issue 18 found the server itself the first limit: a bare WSGI app that returns 178 KiB from memory
answered 5,100-5,400 req/s under gunicorn's sync workers and 14,400-17,800 under granian. This runs the
real blog, on one SQLite database seeded with the article and its 100 approved threaded comments, under
each server in turn, with nginx serving the same bytes in the same run for scale: wrk -t2 -c16, the
median and spread of three runs, and the whole server's PSS after the load. granian runs twice: from
its own command line, which loads the app in every worker, and from scripts/granian_preloaded.py, whose
workers are forked from a master that loaded it, as gunicorn's are. A server that is not installed is
reported as such (granian: ``pip install granian``).
"""

import argparse
import importlib.util
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.bench import Nginx, ensure_tools, pss_bytes, seed_comments, wrk  # noqa: E402
from scripts.live import BIN, ROOT, SEED_SLUG, LiveBlog, free_port  # noqa: E402

PRELOADED = "scripts/granian_preloaded.py"
SERVERS = {
    "gunicorn sync, 3 workers": ["gunicorn", "-c", "gunicorn.conf.py", "-w", "3"],
    "gunicorn sync, 2 workers": ["gunicorn", "-c", "gunicorn.conf.py", "-w", "2"],
    "gunicorn gthread, 2 workers x 4 threads": [
        "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "-k", "gthread", "--threads", "4",
    ],
    "gunicorn gthread, 2 workers x 8 threads": [
        "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "-k", "gthread", "--threads", "8",
    ],
    "gunicorn gthread, 1 worker x 8 threads": [
        "gunicorn", "-c", "gunicorn.conf.py", "-w", "1", "-k", "gthread", "--threads", "8",
    ],
    "granian WSGI, 1 worker": [
        "granian", "--interface", "wsgi", "--workers", "1", "--no-ws", "--log-level", "warning", "blog.wsgi:app",
    ],
    "granian WSGI, 2 workers": [
        "granian", "--interface", "wsgi", "--workers", "2", "--no-ws", "--log-level", "warning",
        "blog.wsgi:app",
    ],
    # granian's workers forked from a master that loaded the app (scripts/granian_preloaded.py).
    "granian WSGI preloaded, 1 worker": [PRELOADED, "--workers", "1"],
    "granian WSGI preloaded, 2 workers": [PRELOADED, "--workers", "2"],
}  # fmt: skip


def descendants(pid: int) -> list[int]:
    found = [pid]
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    for child in out.split():
        found += descendants(int(child))
    return found


class Server:
    """One server on the blog's database, on a port of its own."""

    def __init__(self, argv: list[str], env: dict):
        self.port = free_port()
        self.env = env
        where = ["--host", "127.0.0.1", "--port", str(self.port)]
        if argv[0] == PRELOADED:  # our script, run by this venv's Python, which must have granian
            found = importlib.util.find_spec("granian") is not None
            self.argv = [str(BIN / "python"), str(ROOT / PRELOADED), *argv[1:], *where] if found else None
            return
        program = shutil.which(argv[0], path=str(BIN))
        self.argv = [program, *argv[1:]] if program else None
        if self.argv and argv[0] == "granian":
            self.argv[1:1] = where
        elif self.argv:
            self.argv += ["-b", f"127.0.0.1:{self.port}"]

    def __enter__(self):
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{self.port}/{SEED_SLUG}/"
        for _ in range(300):
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return url
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"{self.argv[0]} did not start")

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(15)


def measure(url: str, seconds: int, runs: int) -> dict:
    results = [wrk(url, seconds) for _ in range(runs)]
    rps = sorted(r["rps"] for r in results)
    p99 = sorted(r["p99"] for r in results)
    return {"rps": statistics.median(rps), "rps_range": (rps[0], rps[-1]), "p99": statistics.median(p99)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=6, help="length of each wrk run")
    p.add_argument("--runs", type=int, default=3, help="wrk runs per server")
    args = p.parse_args(argv)
    ensure_tools()
    print(f"machine: {os.cpu_count()} cores; the article with 100 comments; wrk -t2 -c16 -d{args.seconds}s, "
          f"median of {args.runs} runs [lowest-highest]")  # fmt: skip
    rows = []
    with LiveBlog("sqlite", workers=1, env={"FLASK_TRUSTED_PROXIES": "1"}) as blog:
        seed_comments(blog.database_url, 100)
        body = requests.get(f"{blog.url}/{SEED_SLUG}/", timeout=10).content
        for name, server_argv in SERVERS.items():
            server = Server(server_argv, blog.env)
            if server.argv is None:
                rows.append((name, None, None))
                continue
            with server as url:
                # The same page but for the port in its absolute links (canonical, og:url) and the form's token.
                same = body.replace(f":{blog.port}/".encode(), f":{server.port}/".encode())
                if len(requests.get(url, timeout=10).content) != len(same):
                    sys.exit(f"{name} answered other bytes than the page")
                result = measure(url, args.seconds, args.runs)
                result["pss"] = pss_bytes(descendants(server.proc.pid))
            rows.append((name, result, None))
        with Nginx(body) as static_url:
            nginx = measure(static_url, args.seconds, args.runs)
    print(f"\n{'server':<42}{'req/s':>8}{'range':>14}{'p99 ms':>8}{'of nginx':>10}{'PSS MiB':>9}")
    for name, r, _ in rows:
        if r is None:
            print(f"{name:<42}  not installed")
            continue
        low, high = r["rps_range"]
        print(f"{name:<42}{r['rps']:>8.0f}{f'{low:.0f}-{high:.0f}':>14}{r['p99']:>8.2f}"
              f"{r['rps'] / nginx['rps']:>10.3f}{r['pss'] / 2**20:>9.0f}")  # fmt: skip
    low, high = nginx["rps_range"]
    print(f"{'nginx, the same bytes from disk (auto workers)':<42}{nginx['rps']:>8.0f}"
          f"{f'{low:.0f}-{high:.0f}':>14}{nginx['p99']:>8.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
