"""``flask serve``: the blog in production, under granian (README, "Deployment").

granian is an HTTP server written in Rust with a WSGI interface: it reads requests and writes responses
on its own threads, outside Python's lock, and hands the app only the call in between. On this project's
2-core machine one granian worker with one Python thread serves the cached article at 0.36-0.60 of
nginx's rate in 93-100 MiB, where gunicorn's three sync workers served 0.23-0.27 in 150 MiB (README,
"Performance"; ``make bench-servers`` runs them side by side). What Python does in full runs on that one
thread: the listing pages at about half gunicorn's rate, comment posts at 70-90% of it. WEB_CONCURRENCY=2
adds a second core's worth of Python for about 60 MiB.

The command checks the settings as every ``flask`` command does (a bad one stops it here, in plain
words), then replaces itself with granian: the checking process's memory goes back to the system, and
granian's small master starts the workers, each of which loads ``blog.wsgi:app`` for itself.
"""

import os
import sys

import click

DEFAULT_WORKERS = 1
DEFAULT_THREADS = 1


def granian_command(host: str, port: int, workers: int, threads: int, mount: str = "") -> list[str]:
    """Return the command line that serves the blog with these settings (``mount``: SCRIPT_NAME)."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # Python threads per worker, set: at granian's default (one per core and more) they contend for
        # Python's lock and the article's rate fell to a third; two measured as one (README, "Performance").
        "--blocking-threads",
        str(threads),
        "--no-ws",
        "--respawn-failed-workers",  # a worker that dies (the OOM killer, a crash) is started again
        "--workers-kill-timeout",
        "10",  # a worker still busy 10 s after SIGTERM is killed
        *(["--url-path-prefix", mount] if mount else []),
        "blog.wsgi:app",
    ]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port.")
@click.option(
    "--workers",
    envvar="WEB_CONCURRENCY",
    default=DEFAULT_WORKERS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (or WEB_CONCURRENCY); each holds the whole app, about 80 MiB.",
)
@click.option(
    "--threads",
    envvar="WEB_THREADS",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Python threads in each worker (or WEB_THREADS).",
)
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the blog in production with granian (put nginx in front: deploy/nginx.conf)."""
    # Mounted under a path (SCRIPT_NAME=/blog, as gunicorn takes it): granian's own setting for it.
    command = granian_command(host, port, workers, threads, mount=os.environ.get("SCRIPT_NAME", ""))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
