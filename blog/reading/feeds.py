"""Atom feeds (the articles, a tag's articles, each article's comments, all comments), the sitemap,
robots.txt and the favicon: what feed readers, search engines and browsers ask for."""

import os
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, send_from_directory, url_for
from sqlalchemy.orm import contains_eager

from blog.comments.threads import approved_of, comment_pages
from blog.core.extensions import db
from blog.core.models import Article, ArticleKind, Comment, CommentStatus, utcnow
from blog.publishing.tags import tag_slug
from blog.reading.archive import tag_name, tagged
from blog.reading.pagecache import SHARED
from blog.reading.views import get_public_article, last_modified, public_articles

bp = Blueprint("feeds", __name__)

FEED_LENGTH = 20  # entries per feed; readers poll, they do not page back
SITE_COMMENTS_LENGTH = 50  # SPEC §8: the newest 50 approved comments of all articles
ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


def _articles_feed(query: sa.Select, title: str, self_url: str, home: str):
    entries = db.session.scalars(query.limit(FEED_LENGTH)).all()
    updated = max((last_modified(a) for a in entries), default=utcnow())
    feed = render_template(
        "feeds/articles.xml", articles=entries, updated=updated, title=title, self_url=self_url, home=home
    )
    return feed, {"Content-Type": ATOM, "Cache-Control": SHARED}  # the same for every reader


@bp.get("/feed/")
def articles():
    """Serve the newest articles as an Atom feed."""
    home = url_for("pages.index", _external=True)
    return _articles_feed(
        public_articles(), current_app.config["SITE_NAME"], url_for("feeds.articles", _external=True), home
    )


@bp.get("/tag/<slug>/feed/")
def tag(slug):
    """Serve a tag's newest articles as an Atom feed.

    :raise 404: if no public article carries the tag.
    """
    title = f"{tag_name(slug)} · {current_app.config['SITE_NAME']}"
    home = url_for("archive.tag", slug=slug, _external=True)
    return _articles_feed(tagged(slug), title, url_for("feeds.tag", slug=slug, _external=True), home)


def _comments_feed(entries: list[Comment], pages: dict[int, int], **context):
    updated = max((c.approved_at or c.created_at for c in entries), default=context.pop("since", None) or utcnow())
    feed = render_template("feeds/comments.xml", comments=entries, pages=pages, updated=updated, **context)
    return feed, {"Content-Type": ATOM, "Cache-Control": SHARED}  # the same for every reader


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
    return _comments_feed(
        entries,
        pages,
        since=article.published_at,
        title=f"Comments on: {article.title}",
        self_url=url_for("feeds.comments", slug=slug, _external=True),
        home=url_for("pages.article", slug=slug, _external=True),
        author=article.author or current_app.config["SITE_AUTHOR"],
    )


@bp.get("/comments/feed/")
def all_comments():
    """Serve the newest approved comments of all public articles as an Atom feed (no email, no IP)."""
    entries = db.session.scalars(
        sa.select(Comment)
        .join(Comment.article)
        .options(contains_eager(Comment.article))
        .where(Comment.status == CommentStatus.APPROVED, Article.is_public())
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(SITE_COMMENTS_LENGTH)
    ).all()
    pages = {}
    for article_id in {c.article_id for c in entries}:  # each comment's link names the page that shows it
        pages |= comment_pages(article_id, current_app.config["COMMENTS_PER_PAGE"])
    return _comments_feed(
        entries,
        pages,
        title=f"Comments for {current_app.config['SITE_NAME']}",
        self_url=url_for("feeds.all_comments", _external=True),
        home=url_for("pages.index", _external=True),
        author=current_app.config["SITE_AUTHOR"],
        site_wide=True,
    )


def sitemap_entries(articles: list[Article], site_pages: list[Article]) -> list[tuple[str, datetime | None]]:
    """Return the sitemap's (URL, last modified) pairs: the front page, the articles, their tags, their archives,
    and the site's pages (About, ...).

    Each kind of page is a section, filled from the public articles already read; a new kind of page
    adds a section of its own.
    """
    front, pages, tags, archives = {}, {}, {}, {}

    def add(section: dict, url: str, when: datetime) -> None:
        section[url] = max(section.get(url, when), when)

    for article in articles:
        when, moment = last_modified(article), article.published_at
        add(front, url_for("pages.index", _external=True), when)
        add(pages, url_for("pages.article", slug=article.slug, _external=True), when)
        for name in article.tags:
            add(tags, url_for("archive.tag", slug=tag_slug(name), _external=True), when)
        add(archives, url_for("archive.year", year=moment.year, _external=True), when)
        add(archives, url_for("archive.month", year=moment.year, month=moment.month, _external=True), when)
    if not front:
        front[url_for("pages.index", _external=True)] = None
    site = {url_for("pages.article", slug=page.slug, _external=True): last_modified(page) for page in site_pages}
    return [entry for section in (front, pages, tags, archives, site) for entry in section.items()]


@bp.get("/sitemap.xml")
def sitemap():
    """List the front page, every public article, tag and archive for search engines."""
    site_pages = db.session.scalars(sa.select(Article).where(Article.is_public(), Article.kind == ArticleKind.PAGE))
    entries = sitemap_entries(db.session.scalars(public_articles()).all(), site_pages.all())
    return render_template("feeds/sitemap.xml", entries=entries), {"Content-Type": XML}


@bp.get("/robots.txt")
def robots():
    """Let crawlers read the site but the admin, and tell them where the sitemap is."""
    body = render_template("feeds/robots.txt", sitemap=url_for("feeds.sitemap", _external=True))
    return body, {"Content-Type": TEXT}


@bp.get("/favicon.ico")
def favicon():
    """Send the site's icon where browsers and feed readers look for it without asking the page."""
    folder = os.path.join(current_app.static_folder, "img")
    return send_from_directory(folder, "favicon.ico", max_age=7 * 24 * 3600, mimetype="image/vnd.microsoft.icon")
