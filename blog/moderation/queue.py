"""Reading the moderation queue at any size: one tab's page of comments, its neighbours, its search.

What comes in: a tab, an order, an optional search and a cursor (the id of the row a page starts after or
ends before). What goes out: a ``QueuePage`` of at most ``PER_PAGE`` comments with what each row shows
loaded, and the cursors of the newer and older pages.

Every page is a keyset page: the rows after (or before) the cursor row's place in the tab's order, read
from an index that holds the tab in that order, so page 5,000 costs what page 1 does and nothing is
counted per page (the tab counts are kept by blog/moderation/counts.py). The articles, parents and audit
trails of the page's comments are read afterwards, for those ids only.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload, undefer

from blog.core import keys
from blog.core.extensions import db
from blog.core.models import ALL_TAB, Comment, CommentStatus
from blog.reading import search

PER_PAGE = 20
# WordPress's tab order; "All" is pending and approved, as in WordPress (spam and trash stay apart).
TABS = [("all", "All"), ("pending", "Pending"), ("approved", "Approved"), ("spam", "Spam"), ("trash", "Trash")]
TAB_STATUSES = {
    "all": (CommentStatus.PENDING, CommentStatus.APPROVED),
    **{s.value: (s,) for s in CommentStatus},
}
# The queue's orders. "Likely ham first" (the Pending tab's own) shows the lowest spam score first, so a
# moderator approves the real replies at the top and leaves the doubtful ones for later; comments without
# a score (posted before the filter, or by a moderator) come last, newest first. Equal scores show the
# longest waiting first: one index then holds the whole order (a score ascending beside a date descending
# would need an index of mixed directions, which SQLite's planner and PostgreSQL's read only by sorting).
SORTS = {"date": "Newest first", "score": "Likely ham first"}
DEFAULT_SORT = {"pending": "score"}
# What the search box finds, said in the admin beside it.
SEARCH_HELP = (
    "Finds whole words of the author’s name or the comment (“reply” also finds “replies”), "
    "a whole email address, or an IP address or its beginning (“203.0.113”)."
)
_IP = set("0123456789abcdefABCDEF.:")


@dataclass(frozen=True)
class _Segment:
    """A run of the order: the rows meeting ``where``, by ``keys`` all ascending or all descending."""

    where: sa.ColumnElement | None
    keys: tuple
    descending: bool
    holds: object = None  # for a cursor row: whether it is in this run (None: every row is)


_ORDERS = {
    "date": (_Segment(None, (Comment.created_at, Comment.id), descending=True),),
    "score": (
        _Segment(
            Comment.spam_score.is_not(None),
            (Comment.spam_score, Comment.created_at, Comment.id),
            descending=False,
            holds=lambda c: c.spam_score is not None,
        ),
        _Segment(
            Comment.spam_score.is_(None),
            (Comment.created_at, Comment.id),
            descending=True,
            holds=lambda c: c.spam_score is None,
        ),
    ),
}


@dataclass(frozen=True)
class QueuePage:
    items: list[Comment]
    newer: int | None  # the id to show the page before this one with (``before=``); None: this is the first
    older: int | None  # the id to show the page after this one with (``after=``); None: this is the last


def tab_condition(tab: str, through_search: bool = False):
    """Return the SQL condition of a tab (one status, or the All tab's).

    :param through_search: the page is read through the search's own index: its few matches read and then
        sorted, or a word search walked in the index's order. The condition is then written so that no
        index of the tab's order can serve it: SQLite's planner, which cannot tell few matches from many,
        would otherwise walk the whole tab in order for page 2.
    """
    statuses = TAB_STATUSES[tab]
    if through_search:
        return sa.type_coerce(Comment.status, sa.String).concat("").in_([s.value for s in statuses])
    return ALL_TAB if len(statuses) > 1 else Comment.status == statuses[0]


def search_condition(text: str, kind: str, connection) -> tuple[sa.ColumnElement | None, bool]:
    """Return the SQL condition of a moderator's search of this ``kind`` (``_kind``), each through an index:
    a whole email (encrypted at rest: its blind index, in any letter case), an IP address or its beginning,
    or words of the name and text (the full-text index); None when the search has nothing to look for.
    Beside it, whether it finds few comments (see ``tab_condition``)."""
    if kind == "email":
        return Comment.author_email_key == keys.email_index(text), True
    if kind == "ip":
        # A range on the IP index: every address that starts with what was typed.
        return sa.and_(Comment.author_ip >= text, Comment.author_ip < text[:-1] + chr(ord(text[-1]) + 1)), True
    return search.comments_matching(text, connection)


def _searched(tab: str, text: str, sort: str, connection) -> tuple[list, tuple[_Segment, ...]] | None:
    """Return the conditions and the order of a tab narrowed to a search, or None when it has nothing to
    look for.

    Newest first, a search for words on SQLite is read from the full-text index in the order the comments
    arrived (their ids), which differs from their dates only for comments imported after others were
    posted: from its index, a page of the commonest words costs what a page of the rarest does.
    """
    kind = _kind(text)
    if sort == "date" and kind == "words":
        arrival = search.comments_by_arrival(text, connection)
        if arrival is not None:
            rowid, condition = arrival
            order = _Segment(None, (rowid,), descending=True)
            return [tab_condition(tab, through_search=True), condition], (order,)
    condition, few = search_condition(text, kind, connection)
    if condition is None:
        return None
    return [tab_condition(tab, through_search=few), condition], _ORDERS[sort]


def _kind(text: str) -> str:
    """What a search looks for: an ``email`` (whole), an ``ip`` address or its beginning, or ``words``."""
    if "@" in text:
        return "email"
    if set(text) <= _IP and any(c in text for c in ".:") and any(c.isdigit() for c in text):
        return "ip"
    return "words"


def _rows(where, segment: _Segment, cursor: Comment | None, forward: bool, limit: int) -> list[Comment]:
    query = sa.select(Comment).where(*where)
    if segment.where is not None:
        query = query.where(segment.where)
    keys = sa.tuple_(*segment.keys)
    descending = segment.descending == forward
    if cursor is not None:
        values = sa.tuple_(*(sa.literal(getattr(cursor, key.key), key.type) for key in segment.keys))
        query = query.where(keys < values if descending else keys > values)
    order = [key.desc() if descending else key.asc() for key in segment.keys]
    # What the rows show is read afterwards by separate queries for these ids (SELECT ... WHERE id IN),
    # never joined to the page's query, whose plan stays one index range.
    shown = (
        undefer(Comment.author_email),
        selectinload(Comment.article),
        selectinload(Comment.parent),
        selectinload(Comment.events),
    )
    return list(db.session.scalars(query.order_by(*order).limit(limit).options(*shown)))


def _walk(where, segments, cursor: Comment | None, forward: bool, limit: int) -> list[Comment]:
    """Return up to ``limit`` rows from the cursor's place on, in the order's direction or against it."""
    if not forward:
        segments = segments[::-1]
    start = 0
    if cursor is not None:
        start = next((i for i, s in enumerate(segments) if s.holds is None or s.holds(cursor)), 0)
    found = []
    for i, segment in enumerate(segments[start:], start):
        found += _rows(where, segment, cursor if i == start else None, forward, limit - len(found))
        if len(found) >= limit:
            break
    return found


def page(tab: str, text: str = "", sort: str = "date", after: int | None = None, before: int | None = None):
    """Return the page of the tab after the comment ``after`` (or before ``before``; neither: the first),
    in the order ``sort``, narrowed to the search ``text``.

    A cursor that is gone (deleted since) shows the first page; a page past the end (its last rows were
    just moved away) shows the last rows instead, and one before the start the first page, so a moderator
    is never left on an empty or short page.
    """
    where, segments = [tab_condition(tab)], _ORDERS[sort]
    if text:
        searched = _searched(tab, text, sort, db.session.connection())
        if searched is None:
            return QueuePage([], None, None)
        where, segments = searched
    cursor = db.session.get(Comment, after or before) if (after or before) else None
    forward = cursor is None or after is not None
    rows = _walk(where, segments, cursor, forward, PER_PAGE + 1)
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    if cursor is not None and (not rows or not (forward or more)):  # past an end: the rows at that end
        rows = _walk(where, segments, None, not forward, PER_PAGE + 1)
        more = len(rows) > PER_PAGE
        rows = rows[:PER_PAGE]
        forward = not forward
        cursor = None
    if not forward:
        rows.reverse()
    newer = rows[0].id if rows and (more if not forward else cursor is not None) else None
    older = rows[-1].id if rows and (more if forward else cursor is not None) else None
    return QueuePage(rows, newer, older)
