"""Reader pages: the index, the article, feeds, the sitemap and the health check."""

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from .extensions import db
from .models import Article, ArticleStatus, utcnow

bp = Blueprint("pages", __name__)


def get_public_article(slug: str) -> Article:
    """Return the published article with this slug.

    :raise 404: if there is none, or it is a draft or not yet due.
    """
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if article is None or not article.is_public():
        abort(404)
    return article


def render_article(article: Article, *, comment_page: int = 1, form=None, status: int = 200, **extra):
    """Render the article page; the comments view calls this to answer 422/400/409 with the form kept."""
    from . import comments

    context = comments.section_context(article, comment_page=comment_page, form=form, **extra)
    return render_template("article.html", article=article, **context), status


@bp.get("/")
def index():
    articles = db.session.scalars(
        sa.select(Article)
        .where(Article.status == ArticleStatus.PUBLISHED, Article.published_at <= utcnow())
        .order_by(Article.published_at.desc())
    ).all()
    return render_template("index.html", articles=articles)


@bp.get("/<slug>/")
def article(slug):
    return render_article(get_public_article(slug))


@bp.get("/healthz")
def healthz():
    db.session.execute(sa.text("SELECT 1"))
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
