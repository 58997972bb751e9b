"""Make the web server's workers share what every one of them would build on its first requests.

gunicorn loads the app once and forks its workers from it (``preload_app``), so what the master holds
is shared, page for page, until a worker writes to it. Left alone, every worker would then configure the
ORM's mappers, compile the templates, fill SQLAlchemy's statement cache and read the spam filter's
starting model (1 MiB) on its own, each a private copy. ``prepare`` does that once in the master, by
running the views of the pages readers ask for most (without the request hooks, so nothing is sent or
purged from the master) and reading the model, then closes every database connection, since none may
cross a fork, and freezes the objects made so far out of the garbage collector's sweeps, which would
otherwise write to every page they sit on (README, "Performance").
"""

import ctypes
import gc
import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from blog.core.extensions import db
from blog.core.models import Article
from blog.spam import model as spam_model

log = logging.getLogger(__name__)

# mallopt(3) parameters (glibc's malloc.h).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
BIG_BLOCK = 128 * 1024

PAGES = ("/", "/feed/", "/comments/feed/", "/search/?q=blog", "/admin/login")


def prepare(app: Flask) -> None:
    """Render the common pages once (see the module docstring); a failure is logged, never fatal."""
    try:
        with app.app_context():
            query = db.select(Article.slug).where(Article.is_listed()).order_by(Article.published_at.desc())
            newest = db.session.scalar(query.limit(1))
    except Exception as error:  # no database yet: the workers will build what they need themselves
        log.warning("could not warm the app before forking: %s", error)
        newest = None
    for path in (*PAGES, *([f"/{newest}/"] if newest else [])):
        with app.test_request_context(path, base_url="http://localhost"):
            try:
                app.dispatch_request()  # the view alone: no before or after request hooks
            except HTTPException:
                pass
            except Exception as error:
                log.warning("could not warm %s before forking: %s", path, error)
    spam_model.starting_weights()  # the first comment of every worker scores with it
    with app.app_context():
        db.engine.dispose()  # every connection closed in the master: none may cross a fork
    gc.collect()
    gc.freeze()


def forget_inherited_connections(app: Flask) -> None:
    """In a worker just forked: drop the master's database connections without closing them, since
    the master may still hold them; the worker opens its own."""
    with app.app_context():
        db.engine.dispose(close=False)


def return_freed_memory() -> None:
    """Have glibc give a freed block of 128 KiB or more back to the system at once, in every process
    forked after this call.

    glibc serves such a block with its own mmap and unmaps it when freed, but every time it frees one it
    raises that threshold to the block's size (up to 32 MiB): after the first rendered page and its
    compressed forms, the next ones are carved from the heap and stay resident once freed. Fixed
    thresholds keep a worker at what it holds (7 MiB less a worker after ``make bench``'s load).
    Elsewhere (musl, macOS) the system's allocator keeps its own policy.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_MMAP_THRESHOLD, BIG_BLOCK)
    libc.mallopt(M_TRIM_THRESHOLD, BIG_BLOCK)
