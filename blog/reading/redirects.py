"""Old addresses of articles (WordPress permalinks kept by an import) answer 301 with the article's own.

Only a request that would otherwise be a 404 asks the database, so the old addresses cost the pages
that exist nothing. WordPress's ``/?p=ID`` and ``/?page_id=ID`` are asked by the index view.
"""

import sqlalchemy as sa
from flask import redirect, request, url_for

from blog.core.errors import render_error
from blog.core.extensions import db
from blog.core.records import Redirect

# The query parameters WordPress's default permalinks use, in the order they are looked up.
QUERY_KEYS = ("p", "page_id")


def old_query_address() -> str | None:
    """Return the stored key of the request's ``?p=ID`` or ``?page_id=ID``, or None when it has neither."""
    for key in QUERY_KEYS:
        value = request.args.get(key, "")
        if value.isdigit() and len(value) < 20:
            return f"/?{key}={int(value)}"
    return None


def moved(path: str):
    """Return a 301 to the article an old address names, or None when it names none."""
    slug = db.session.scalar(sa.select(Redirect.slug).where(Redirect.path == path[:500]))
    return redirect(url_for("pages.article", slug=slug), 301) if slug else None


def _not_found(error):
    path = request.path if request.path.endswith("/") else request.path + "/"
    try:
        found = moved(path)
    except sa.exc.SQLAlchemyError:  # a database that is down still gets its reader a 404 page
        db.session.rollback()
        found = None
    return found or render_error(error)


def init_app(app) -> None:
    app.register_error_handler(404, _not_found)
