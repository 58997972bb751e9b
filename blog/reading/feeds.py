"""Atom feeds of the articles and of each article's approved comments, and the sitemap."""

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from blog.comments.threads import approved_of, comment_pages
from blog.core.extensions import db
from blog.core.models import Comment, utcnow
from blog.reading.views import get_public_article, last_modified, public_articles

bp = Blueprint("feeds", __name__)

FEED_LENGTH = 20  # entries per feed; readers poll, they do not page back
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"


@bp.get("/feed/")
def articles():
    """Serve the newest articles as an Atom feed."""
    entries = db.session.scalars(public_articles().limit(FEED_LENGTH)).all()
    updated = max((last_modified(a) for a in entries), default=utcnow())
    return render_template("feeds/articles.xml", articles=entries, updated=updated), {"Content-Type": ATOM}


@bp.get("/<slug>/feed/")
def comments(slug):
    """Serve an article's newest approved comments as an Atom feed (names only: no email, no IP)."""
    article = get_public_article(slug)
    entries = db.session.scalars(
        sa.select(Comment)
        .where(approved_of(article.id))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(FEED_LENGTH)
    ).all()
    pages = comment_pages(article.id, current_app.config["COMMENTS_PER_PAGE"])
    updated = max((c.approved_at or c.created_at for c in entries), default=article.published_at)
    feed = render_template("feeds/comments.xml", article=article, comments=entries, pages=pages, updated=updated)
    return feed, {"Content-Type": ATOM}


@bp.get("/sitemap.xml")
def sitemap():
    """List the front page and every public article for search engines."""
    entries = db.session.scalars(public_articles()).all()
    return render_template("feeds/sitemap.xml", articles=entries), {"Content-Type": XML}
