"""The Leave a Reply form: post a comment (stub, built in issue 3)."""

from flask import Blueprint

bp = Blueprint("comments", __name__)


def section_context(article, *, comment_page=1, form=None, **extra) -> dict:
    """Return the template context of the article's comments section and reply form."""
    return {"comment_section": None}


def init_app(app):
    pass
