"""Tag pages and date archives: /tag/<slug>/ (and its feed), /<yyyy>/ and /<yyyy>/<mm>/."""

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from blog.core.extensions import db
from blog.core.models import Article, ArticleTag
from blog.publishing.tags import tag_slug
from blog.reading.listing import PAGE, listing
from blog.reading.pagecache import SHARED
from blog.reading.views import public_articles

bp = Blueprint("archive", __name__)
bp.add_app_template_filter(tag_slug, "tag_slug")

YEAR = "int(fixed_digits=4, min=1)"
MONTH = "int(fixed_digits=2, min=1, max=12)"


def tagged(slug: str) -> sa.Select:
    """Select the public articles carrying the tag with this slug, newest first."""
    return public_articles().join(ArticleTag).where(ArticleTag.slug == slug)


def tag_name(slug: str) -> str:
    """Return the tag's name as its newest public article writes it.

    :raise 404: if no public article carries it.
    """
    name = db.session.scalar(tagged(slug).with_only_columns(ArticleTag.name).limit(1))
    if name is None:
        abort(404)
    return name


@dataclass(frozen=True)
class Period:
    """A year, or a month of a year, as a half-open range of moments (UTC)."""

    year: int
    month: int | None = None

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month or 1, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime | None:
        """The first moment after the period; None after the year 9999."""
        if self.month and self.month < 12:
            return datetime(self.year, self.month + 1, 1, tzinfo=UTC)
        return datetime(self.year + 1, 1, 1, tzinfo=UTC) if self.year < 9999 else None

    @property
    def name(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}" if self.month else str(self.year)


def published_in(period: Period) -> sa.Select:
    """Select the public articles published in the period, newest first."""
    query = public_articles().where(Article.published_at >= period.start)
    return query if period.end is None else query.where(Article.published_at < period.end)


def _page(query: sa.Select, n: int, endpoint: str, **args):
    return listing(query, n, current_app.config["ARTICLES_PER_PAGE"], endpoint, **args)


@bp.get("/tag/<slug>/")
def tag(slug):
    """List a tag's articles, newest first.

    :raise 404: if no public article carries the tag.
    """
    return _tag(slug, 1)


@bp.get(f"/tag/<slug>/page/<{PAGE}:n>/")
def tag_page(slug, n):
    """List the n-th page of a tag's articles (/page/1/ moves to the tag's page)."""
    if n == 1:
        return redirect(url_for("archive.tag", slug=slug), 301)
    return _tag(slug, n)


def _tag(slug: str, n: int):
    canonical = tag_slug(slug)
    if canonical != slug:  # /tag/Travel%20Notes/ → the one spelling of its address
        if not canonical:
            abort(404)
        return redirect(url_for("archive.tag", slug=canonical), 301)
    name = tag_name(slug)
    html = render_template(
        "listing.html",
        listing=_page(tagged(slug), n, "archive.tag", slug=slug),
        kicker="Tag",
        heading=name,
        feed=(url_for("feeds.tag", slug=slug), f"{name}: {current_app.config['SITE_NAME']}"),
    )
    return html, {"Cache-Control": SHARED}  # the same for every reader


@bp.get(f"/<{YEAR}:year>/")
def year(year):
    """List the articles of a year, newest first.

    :raise 404: if none was published in it.
    """
    return _period(Period(year), 1)


@bp.get(f"/<{YEAR}:year>/page/<{PAGE}:n>/")
def year_page(year, n):
    """List the n-th page of a year's articles."""
    if n == 1:
        return redirect(url_for("archive.year", year=year), 301)
    return _period(Period(year), n)


@bp.get(f"/<{YEAR}:year>/<{MONTH}:month>/")
def month(year, month):
    """List the articles of a month, newest first.

    :raise 404: if none was published in it.
    """
    return _period(Period(year, month), 1)


@bp.get(f"/<{YEAR}:year>/<{MONTH}:month>/page/<{PAGE}:n>/")
def month_page(year, month, n):
    """List the n-th page of a month's articles."""
    if n == 1:
        return redirect(url_for("archive.month", year=year, month=month), 301)
    return _period(Period(year, month), n)


def _period(period: Period, n: int):
    args = {"year": period.year} | ({"month": period.month} if period.month else {})
    page = _page(published_in(period), n, "archive.month" if period.month else "archive.year", **args)
    if not page.items:
        abort(404)
    html = render_template("listing.html", listing=page, kicker="Archive", heading=period.name, feed=None)
    return html, {"Cache-Control": SHARED}  # the same for every reader
