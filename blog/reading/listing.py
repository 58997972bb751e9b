"""Lists of public articles a page at a time, and an article's neighbours by date.

Every list page (the index, a tag, an archive) is one indexed query: a page of rows plus one, which
tells whether an older page exists without counting the whole list.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort, url_for

from blog.core.extensions import db
from blog.core.models import Article, ArticleStatus, utcnow

# Werkzeug's rule for the page number in /page/<n>/: a few digits, never 0 (a huge OFFSET is a probe).
PAGE = "int(min=1, max=999999)"


@dataclass(frozen=True)
class Listing:
    """One page of a list; ``endpoint`` and ``args`` name its first page, ``endpoint + '_page'`` the others."""

    items: list[Article]
    page: int
    has_next: bool
    endpoint: str
    args: dict

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    def url(self, page: int, *, external: bool = False) -> str:
        """Return the canonical URL of a page of this list (the first page has no /page/1/)."""
        if page == 1:
            return url_for(self.endpoint, **self.args, _external=external)
        return url_for(f"{self.endpoint}_page", **self.args, n=page, _external=external)


def listing(query: sa.Select, page: int, per_page: int, endpoint: str, **args) -> Listing:
    """Return page ``page`` of the articles ``query`` selects, in one query.

    :raise 404: for a page past the end (the first page exists even when empty).
    """
    rows = db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)).all()
    if page > 1 and not rows:
        abort(404)
    return Listing(rows[:per_page], page, len(rows) > per_page, endpoint, args)


def _by_date():
    return (Article.published_at, Article.id)


def neighbours(article: Article) -> tuple[Article | None, Article | None]:
    """Return the public articles published just before and just after this one (None at either end).

    One query (a union of the two single-row lookups): the article page runs it on every render.
    """
    at, same_day = Article.published_at, Article.published_at == article.published_at
    before = sa.or_(at < article.published_at, sa.and_(same_day, Article.id < article.id))
    after = sa.or_(at > article.published_at, sa.and_(same_day, Article.id > article.id))
    public = sa.select(Article).where(Article.is_listed())  # pages have no place in the sequence
    older = public.where(before).order_by(*(c.desc() for c in _by_date())).limit(1).subquery()
    newer = public.where(after).order_by(*_by_date()).limit(1).subquery()
    both = sa.union_all(sa.select(older), sa.select(newer))
    found = db.session.scalars(sa.select(Article).from_statement(both)).all()
    key = (article.published_at, article.id)
    return (
        next((a for a in found if (a.published_at, a.id) < key), None),
        next((a for a in found if (a.published_at, a.id) > key), None),
    )


def public_sequence() -> list[int]:
    """Return the ids of the public articles, oldest first: the order previous/next links follow."""
    return list(db.session.scalars(sa.select(Article.id).where(Article.is_listed()).order_by(*_by_date())))


def moved_neighbours(before: list[int], after: list[int]) -> set[int]:
    """Return the articles whose previous or next article differs between two ``public_sequence`` lists."""

    def links(sequence):
        return {
            article_id: (sequence[i - 1] if i else None, sequence[i + 1] if i + 1 < len(sequence) else None)
            for i, article_id in enumerate(sequence)
        }

    old, new = links(before), links(after)
    return {article_id for article_id, pair in new.items() if old.get(article_id) != pair}


def next_due() -> datetime | None:
    """Return when the next scheduled article becomes public (its neighbours' links change then), or None."""
    scheduled = sa.and_(Article.status == ArticleStatus.PUBLISHED, Article.published_at > utcnow())
    return db.session.scalar(sa.select(sa.func.min(Article.published_at)).where(scheduled))
