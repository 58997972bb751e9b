"""Make the web server's workers share what every one of them would build on its first requests.

gunicorn loads the app once and forks its workers from it (``preload_app``), so what the master holds
is shared, page for page, until a worker writes to it. Left alone, every worker would then configure the
ORM's mappers, compile the templates and fill SQLAlchemy's statement cache on its own, each a private
copy. ``prepare`` does that once in the master, by running the views of the pages readers ask for most
(without the request hooks, so nothing is sent or purged from the master), then closes every database
connection, since none may cross a fork, and freezes the objects made so far out of the garbage
collector's sweeps, which would otherwise write to every page they sit on (README, "Performance").
"""

import gc
import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from blog.core.extensions import db
from blog.core.models import Article

log = logging.getLogger(__name__)

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
    with app.app_context():
        db.engine.dispose()  # every connection closed in the master: none may cross a fork
    gc.collect()
    gc.freeze()
