"""granian's WSGI workers forked from a master that has loaded the blog, as gunicorn's ``preload_app`` does.

    python scripts/granian_preloaded.py --host 127.0.0.1 --port 8000 --workers 2

granian's own command line loads the app in each worker after forking it, so its workers share nothing
(`make bench-servers`: 187 MiB for two). Here the master loads ``blog.wsgi:app`` and runs
``blog/core/prefork.py``'s preparation first, as gunicorn.conf.py does, then granian forks its workers
from it (its default start method on Linux) and hands each the loaded app; each worker gives up the
database connections it inherited. A candidate for `make bench-servers`, not the documented server.
"""

import argparse
import os
import sys
from pathlib import Path

from granian.constants import Interfaces
from granian.server import Server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from blog.core import prefork  # noqa: E402

prefork.return_freed_memory()  # before the app loads, as in gunicorn.conf.py

from blog.wsgi import app  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    prefork.prepare(app)
    os.register_at_fork(after_in_child=lambda: prefork.forget_inherited_connections(app))
    server = Server(
        "blog.wsgi:app",
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        websockets=False,
        log_level="warning",
    )
    server.serve(target_loader=lambda *_: app, wrap_loader=False)


if __name__ == "__main__":
    main()
