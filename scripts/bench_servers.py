"""`make bench-servers`: which WSGI server serves the blog's article page best on this machine.

Issue 18 found the server itself the first limit: a bare WSGI app that returns 178 KiB from memory
answered 5,100-5,400 req/s under gunicorn's sync workers and 14,400-17,800 under granian. This runs the
real blog, on one SQLite database seeded with the article and its 100 approved threaded comments, under
each server in turn, with nginx serving the same bytes in the same run for scale: wrk -t2 -c16, the
median and spread of three runs, and the whole server's PSS after the load. ``flask serve`` (granian,
blog/core/server.py) is the production server since it measured best here; granian's own defaults and
gunicorn's worker classes (gunicorn.conf.py) run beside it to show why.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.bench import Nginx, ensure_tools, pss_bytes, seed_comments, wrk  # noqa: E402
from scripts.live import BIN, ROOT, SEED_SLUG, LiveBlog, free_port, wait_until_healthy  # noqa: E402

SERVE = ["flask", "--app", "blog", "serve"]
SERVERS = {
    "flask serve (granian), 1 worker x 1 thread": [*SERVE, "--workers", "1", "--threads", "1"],
    "flask serve (granian), 1 worker x 2 threads": [*SERVE, "--workers", "1", "--threads", "2"],
    "flask serve (granian), 2 workers x 1 thread": [*SERVE, "--workers", "2", "--threads", "1"],
    # granian's own default: a Python thread per core and more, which contend for Python's lock
    "granian, 1 worker x its default threads": [
        "granian", "--interface", "wsgi", "--workers", "1", "--no-ws", "--log-level", "warning", "blog.wsgi:app",
    ],
    "gunicorn sync, 3 workers": ["gunicorn", "-c", "gunicorn.conf.py", "-w", "3"],
    "gunicorn sync, 2 workers": ["gunicorn", "-c", "gunicorn.conf.py", "-w", "2"],
    "gunicorn gthread, 2 workers x 4 threads": [
        "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "-k", "gthread", "--threads", "4",
    ],
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
        program = shutil.which(argv[0], path=str(BIN))
        where = {
            "gunicorn": lambda: [*argv[1:], "-b", f"127.0.0.1:{self.port}"],
            "granian": lambda: ["--host", "127.0.0.1", "--port", str(self.port), *argv[1:]],  # before the app
            "flask": lambda: [*argv[1:], "--host", "127.0.0.1", "--port", str(self.port)],  # serve's own options
        }[argv[0]]
        self.argv = [program, *where()] if program else None

    def __enter__(self):
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{self.port}", self.proc)
        except RuntimeError:
            self.__exit__()
            raise RuntimeError(f"{self.argv[0]} did not start") from None
        return f"http://127.0.0.1:{self.port}/{SEED_SLUG}/"

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
