"""Reader pages: the index, the article, its comment pages and the health check."""

import re
from datetime import UTC, datetime
from urllib.parse import urljoin

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from blog.comments import section, threads
from blog.comments.author_cookie import AUTHOR_COOKIE, remembered_author
from blog.comments.editing import edit_cookies
from blog.core.errors import MESSAGES
from blog.core.extensions import db
from blog.core.models import Article
from blog.core.sanitize import visible_text
from blog.reading import redirects
from blog.reading.listing import PAGE, listing, neighbours
from blog.reading.pagecache import PERSONAL, SHARED, carries_own_cookies

bp = Blueprint("pages", __name__)

# A page number is a few digits; anything longer is a typo or a probe, and would make a huge OFFSET.
PAGE_NUMBER = re.compile(r"[0-9]{1,6}")
WORDS_PER_MINUTE = 230


def public_articles() -> sa.Select:
    """Select the articles lists show (published, due, and no page), newest first."""
    return sa.select(Article).where(Article.is_listed()).order_by(Article.published_at.desc(), Article.id.desc())


@bp.app_template_global()
def navigation_pages() -> list[tuple[str, str]]:
    """Return the (slug, title) of each public page with a ``nav`` order, in that order, for the header."""
    query = (
        sa.select(Article.slug, Article.title).where(Article.in_navigation()).order_by(Article.nav_order, Article.title)
    )
    try:
        return db.session.execute(query).all()
    except sa.exc.OperationalError:  # the 503 page of a database that is down still has a header
        db.session.rollback()
        return []


def get_public_article(slug: str) -> Article:
    """Return the published article or page with this slug.

    :raise 404: if there is none, or it is a draft or not yet due.
    """
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug, Article.is_public()))
    if article is None:
        abort(404)
    return article


def render_article(
    article: Article,
    *,
    comment_page: int = 1,
    form=None,
    reply_to: str | None = None,
    pending_id: str | None = None,
    pending_hash: str | None = None,
    remembered: dict | None = None,
    status: int = 200,
    message: str = "",
    preview=None,
    edit_cookies: dict | None = None,
):
    """Present the article page from values the view parsed: the one presenter of the article page,
    for the reader's GET and for the comments view's 422/400/409 answers with the form kept.

    :param form: the form of a failed post, shown again as typed.
    :param preview: a Preview of the form's comment, shown above it.
    :param edit_cookies: the reader's edit cookies, for the comments they may still edit.
    """
    context = section.section_context(
        article,
        comment_page=comment_page,
        form=form,
        reply_to=reply_to,
        pending_id=pending_id,
        pending_hash=pending_hash,
        remembered=remembered,
        message=message,
        preview=preview,
        edit_cookies=edit_cookies,
    )
    canonical = threads.page_url(article.slug, comment_page, external=True)
    jsonld = article_jsonld(article, canonical, context.get("jsonld_comments"))
    older, newer = (None, None) if article.is_page else neighbours(article)  # a page has no place in the sequence
    html = render_template(
        "article.html", article=article, canonical=canonical, jsonld=jsonld, older=older, newer=newer, **context
    )
    return html, status


def _reader_asks() -> dict:
    """Return what the reader's request asks of the article page: reply-to, pending link, remembered author."""
    return {
        "reply_to": request.args.get("replytocom"),
        "pending_id": request.args.get("unapproved"),
        "pending_hash": request.args.get("moderation-hash"),
        "remembered": remembered_author(request.cookies.get(AUTHOR_COOKIE)),
        "edit_cookies": edit_cookies(request.cookies),
    }


def article_jsonld(article: Article, canonical: str, comments: list[dict] | None = None) -> dict:
    """Describe the article as schema.org data for search engines (rendered with ``|tojson``)."""
    data = {
        "@context": "https://schema.org",
        "@type": "WebPage" if article.is_page else "Article",
        "headline": article.title,
        "description": article.description or article.summary,
        "datePublished": isodate(article.published_at),
        "dateModified": isodate(last_modified(article)),
        "author": {"@type": "Person", "name": article.author or current_app.config["SITE_AUTHOR"]},
        "publisher": {"@type": "Organization", "name": current_app.config["SITE_NAME"]},
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "url": canonical,
        "commentCount": article.approved_count,
    }
    if article.image:
        data["image"] = absolute_url(article.image)
    if article.tags:
        data["keywords"] = [str(tag) for tag in article.tags]
    if comments:
        data["comment"] = comments
    return data


def page_number() -> int:
    """Return the ``?page=N`` of the request, 1 when absent.

    :raise 404: if it is not a positive whole number.
    """
    raw = request.args.get("page", "1")
    if not PAGE_NUMBER.fullmatch(raw) or int(raw) < 1:
        abort(404)
    return int(raw)


@bp.get("/")
def index():
    """Show the newest published articles; ``?page=N`` moves (301) to its canonical /page/N/."""
    if old := redirects.old_query_address():  # WordPress's /?p=ID of an imported post
        return redirects.moved(old) or abort(404)
    if "page" in request.args:
        n = page_number()
        return redirect(url_for("pages.index_page", n=n) if n > 1 else url_for("pages.index"), 301)
    return _index(1)


@bp.get(f"/page/<{PAGE}:n>/")
def index_page(n):
    """Show the n-th page of published articles, newest first (/page/1/ moves to /).

    :raise 404: past the last page.
    """
    if n == 1:
        return redirect(url_for("pages.index"), 301)
    return _index(n)


def _index(n: int):
    page = listing(public_articles(), n, current_app.config["ARTICLES_PER_PAGE"], "pages.index")
    return render_template("index.html", listing=page), {"Cache-Control": SHARED}  # the same for every reader


@bp.get("/<slug>/")
def article(slug):
    """Show an article with its first page of comments."""
    asks = _reader_asks()
    return _cacheable(render_article(get_public_article(slug), **asks), asks)


@bp.get("/privacy/")
def privacy():
    """Show the privacy notice: the blogger's own page with this slug if there is one, else the default."""
    article = db.session.scalar(sa.select(Article).where(Article.slug == "privacy", Article.is_public()))
    if article is not None:
        asks = _reader_asks()
        return _cacheable(render_article(article, **asks), asks)
    return render_template("privacy.html")


@bp.get("/<slug>/comment-page-<int:n>/")
def comment_page(slug, n):
    """Show an article with its n-th page of comment threads (WordPress's paged comments)."""
    if n < 1:
        abort(404)
    asks = _reader_asks()
    return _cacheable(render_article(get_public_article(slug), comment_page=n, **asks), asks)


def _cacheable(page: tuple[str, int], asks: dict):
    """Answer an article page with who may keep it: any cache, or the reader's browser alone when it
    may show something of their own (their name, their pending or editable comment, a moderator's view)."""
    html, status = page
    own = asks["pending_id"] is not None or carries_own_cookies(request.cookies.keys(), current_app.config)
    return html, status, {"Cache-Control": PERSONAL if own else SHARED}


@bp.get("/healthz")
def healthz():
    """Answer ``ok`` when the database answers, 503 otherwise (for load balancers and uptime checks)."""
    headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError:
        return "database unavailable", 503, headers
    return "ok", 200, headers


@bp.app_errorhandler(sa.exc.OperationalError)
def database_unavailable(error):
    """Answer 503 in the site layout when the database is down, rather than a bare 500."""
    current_app.logger.error("database unavailable: %s", error)
    title, message = MESSAGES[503]
    html = render_template("error.html", code=503, title=title, message=message)
    return html, 503, {"Retry-After": "30", "Cache-Control": "no-store"}


@bp.app_template_global()
def absolute_url(path: str) -> str:
    """Return ``path`` (site-relative or absolute) as an absolute URL of this site."""
    return urljoin(request.url_root, path)


@bp.app_template_filter("last_modified")
def last_modified(article: Article) -> datetime:
    """Return when the article last changed; never before it was published (it may be pre-dated)."""
    return max(article.published_at, article.updated_at)


@bp.app_template_filter("isodate")
def isodate(moment: datetime) -> str:
    """Format a moment as RFC 3339 in UTC, for ``<time datetime>``, feeds and sitemaps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.app_template_filter("longdate")
def longdate(moment: datetime) -> str:
    """Format a date as WordPress does by default: ``March 12, 2024``."""
    return f"{moment:%B} {moment.day}, {moment.year}"


@bp.app_template_filter("reading_time")
def reading_time(html: str) -> int:
    """Return the minutes an article takes to read, at least one."""
    return max(1, round(len(visible_text(html).split()) / WORDS_PER_MINUTE))


@bp.app_template_filter("comment_count")
def comment_count(n: int) -> str:
    """Say how many comments there are, in WordPress's words."""
    if n == 0:
        return "No Comments"
    return "1 Comment" if n == 1 else f"{n} Comments"
