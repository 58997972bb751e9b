"""Search over the articles, one module for both engines: SQLite FTS5 on the embedded default,
PostgreSQL full-text search (a ``tsvector`` with a GIN index) otherwise; articles for readers, and
comments for the moderation queue (at the end of this module).

What comes in: publishing calls ``index`` for each article it creates, updates or withdraws, in its
own transaction, so the index is built at publish time and never lags the articles. What goes out:
``search(query)`` returns the public articles that hold every word of the query, best first, each with
a snippet whose HTML is safe (the text is escaped, then the matched words are wrapped in ``<mark>``).

The reader's words never reach SQL as SQL: they are cut down to letters and digits, then quoted one
by one for FTS5 or handed to ``plainto_tsquery`` on PostgreSQL, always as bound parameters.
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy import event

from blog.core.extensions import db
from blog.core.models import Article, ArticleStatus, Comment
from blog.core.sanitize import visible_text

TABLE = "article_search"
MAX_QUERY = 200  # characters of a query that are read; the rest is ignored
MAX_WORDS = 12  # words of a query that are searched for: more only makes each search slower
MAX_RESULTS = 50
SNIPPET_WORDS = 30
# Matched words come back from the engine between these two characters. The indexed text can never
# hold them (plain_text removes every control character), so they cannot be forged by an article.
_START, _STOP = "\x02", "\x03"
# PostgreSQL's text parser takes "<...>" for an HTML tag and leaves it out of a headline, which would
# drop "<script>" from the snippet of an article about sanitizers; angle brackets are therefore stored
# as two other control characters (on both engines, which then agree) and put back in ``mark``.
_STORED = str.maketrans("<>", "\x04\x05")
_SHOWN = str.maketrans("\x04\x05", "<>")
_MARKED = re.compile(f"{_START}([^{_START}{_STOP}]*){_STOP}")
_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE = re.compile(r"\s+")

# The search structures of each engine, created with the article table (db.create_all) and by the
# migration 0006_search, from these same statements.
DDL = {
    "sqlite": (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
        "title, summary, body, tokenize = 'porter unicode61 remove_diacritics 2')",
    ),
    "postgresql": (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "article_id integer PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE, "
        "title text NOT NULL, summary text NOT NULL, body text NOT NULL, "
        "document tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english', title), 'A') || "
        "setweight(to_tsvector('english', summary), 'B') || "
        "setweight(to_tsvector('english', body), 'C')) STORED)",
        f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_document ON {TABLE} USING gin (document)",
    ),
}

# The row of an article in the index: FTS5 keys it by rowid, PostgreSQL by a column of its own.
_KEY = {"sqlite": "rowid", "postgresql": "article_id"}
_ARTICLES = sa.table(
    "article",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("summary", sa.Text),
    sa.column("html", sa.Text),
    sa.column("status", sa.String),
)


@dataclass(frozen=True)
class Result:
    """One article found: how well it matched (higher is better) and a snippet of safe HTML."""

    article: Article
    rank: float
    snippet: Markup


def create(connection) -> None:
    """Create the search structures of the connection's engine (nothing if they exist)."""
    for statement in DDL[connection.dialect.name]:
        connection.exec_driver_sql(statement)


def drop(connection) -> None:
    """Drop the search structures (with the article table, or as the migration is undone)."""
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")


event.listen(Article.__table__, "after_create", lambda _table, connection, **_kw: create(connection))
event.listen(Article.__table__, "before_drop", lambda _table, connection, **_kw: drop(connection))


def _table(dialect: str) -> sa.TableClause:
    return sa.table(TABLE, sa.column(_KEY[dialect], sa.Integer), *(sa.column(c) for c in ("title", "summary", "body")))


def tidy(text: str) -> str:
    """Return ``text`` on one line: control characters (NUL included) and runs of spaces become one space."""
    return _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()


def plain_text(article_html: str) -> str:
    """Return the words a reader sees in an article's HTML: no tags, entities decoded, no control characters."""
    return tidy(visible_text(article_html))


def reader_query(raw: str) -> str:
    """Return the part of a reader's query that is used (and shown back): its first characters, tidied."""
    return tidy(raw[:MAX_QUERY])


def _write(connection, article_id: int, title: str, summary: str, article_html: str, withdrawn: bool) -> None:
    table = _table(connection.dialect.name)
    key = table.c[_KEY[connection.dialect.name]]
    connection.execute(sa.delete(table).where(key == article_id))
    if not withdrawn:
        texts = {"title": tidy(title), "summary": tidy(summary), "body": plain_text(article_html)}
        row = {key.name: article_id, **{name: text.translate(_STORED) for name, text in texts.items()}}
        connection.execute(sa.insert(table).values(row))


def index(article: Article) -> None:
    """Bring the article's entry in the index up to date, in the session's transaction (a withdrawn
    article leaves it; drafts and scheduled articles stay in, and ``search`` shows only what is public).
    """
    withdrawn = article.status is ArticleStatus.WITHDRAWN
    _write(db.session.connection(), article.id, article.title, article.summary, article.html, withdrawn)


def rebuild(connection) -> int:
    """Index every article again from the article table alone (the migration's backfill); return how many."""
    rows = connection.execute(sa.select(_ARTICLES)).all()
    for row in rows:
        _write(connection, row.id, row.title, row.summary, row.html, row.status == ArticleStatus.WITHDRAWN.value)
    return len(rows)


def words(query: str) -> list[str]:
    """Return the words of a reader's query that are searched for: letters and digits, nothing else."""
    return _WORD.findall(query[:MAX_QUERY])[:MAX_WORDS]


def mark(raw: str) -> Markup:
    """Escape an engine's snippet, then turn its match markers into ``<mark>`` elements."""
    escaped = _MARKED.sub(r"<mark>\1</mark>", str(escape(raw.translate(_SHOWN))))
    return Markup(escaped.replace(_START, "").replace(_STOP, ""))


def _sqlite_select(terms: list[str]) -> sa.Select:
    table = _table("sqlite")
    fts = sa.literal_column(TABLE)
    # Each word in double quotes is a plain string to FTS5, never an operator (OR, NEAR, *, ^, column:).
    match = " ".join(f'"{term}"' for term in terms)
    rank = (-sa.func.bm25(fts, 10.0, 4.0, 1.0)).label("rank")
    snippet = sa.func.snippet(fts, 2, _START, _STOP, "…", SNIPPET_WORDS).label("snippet")
    return (
        sa.select(Article, rank, snippet)
        .join(table, table.c.rowid == Article.id)
        .where(sa.text(f"{TABLE} MATCH :match").bindparams(match=match))
    )


def _postgresql_select(terms: list[str]) -> sa.Select:
    table = _table("postgresql")
    english = sa.literal_column("'english'::regconfig")
    query = sa.func.plainto_tsquery(english, " ".join(terms))
    document = sa.literal_column(f"{TABLE}.document")
    options = f"StartSel={_START}, StopSel={_STOP}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}"
    rank = sa.func.ts_rank(document, query).label("rank")
    snippet = sa.func.ts_headline(english, table.c.body, query, options).label("snippet")
    return (
        sa.select(Article, rank, snippet).join(table, table.c.article_id == Article.id).where(document.op("@@")(query))
    )


_SELECT = {"sqlite": _sqlite_select, "postgresql": _postgresql_select}


def search(query: str, limit: int = MAX_RESULTS) -> list[Result]:
    """Return the public articles holding every word of ``query``, best first (newest first among equals)."""
    terms = words(query)
    if not terms:
        return []
    select = _SELECT[db.session.get_bind().dialect.name](terms)
    select = select.where(Article.is_public()).order_by(sa.desc("rank"), Article.published_at.desc()).limit(limit)
    return [Result(article, float(rank), mark(snippet or "")) for article, rank, snippet in db.session.execute(select)]


# -- comments, for the moderation queue ---------------------------------------------------------------------
#
# The same engines index the comments' author names and texts, so a moderator finds a comment by its words
# (whole words, stemmed as in the article search) without reading every row. Unlike the articles, comments
# are written by many paths (posting, replies, edits, imports, purges, erasure), so the index is kept by the
# database itself and cannot lag any of them: on SQLite an FTS5 table over the comment table's own columns
# (no second copy of the text) kept by triggers, on PostgreSQL a GIN index on the comment table's
# ``to_tsvector`` (an expression index, in step with every write by construction).

COMMENT_TABLE = "comment_search"
_COMMENT_DOCUMENT = "to_tsvector('english'::regconfig, author_name || ' ' || raw_text)"
COMMENT_DDL = {
    "sqlite": (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {COMMENT_TABLE} USING fts5(author_name, raw_text, "
        "content = 'comment', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {COMMENT_TABLE}_insert AFTER INSERT ON comment BEGIN "
        f"INSERT INTO {COMMENT_TABLE} (rowid, author_name, raw_text) VALUES (new.id, new.author_name, new.raw_text);"
        " END",
        f"CREATE TRIGGER IF NOT EXISTS {COMMENT_TABLE}_delete AFTER DELETE ON comment BEGIN "
        f"INSERT INTO {COMMENT_TABLE} ({COMMENT_TABLE}, rowid, author_name, raw_text) "
        "VALUES ('delete', old.id, old.author_name, old.raw_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {COMMENT_TABLE}_update AFTER UPDATE OF author_name, raw_text ON comment BEGIN "
        f"INSERT INTO {COMMENT_TABLE} ({COMMENT_TABLE}, rowid, author_name, raw_text) "
        "VALUES ('delete', old.id, old.author_name, old.raw_text); "
        f"INSERT INTO {COMMENT_TABLE} (rowid, author_name, raw_text) VALUES (new.id, new.author_name, new.raw_text);"
        " END",
    ),
    "postgresql": (f"CREATE INDEX IF NOT EXISTS {COMMENT_TABLE}_document ON comment USING gin ({_COMMENT_DOCUMENT})",),
}
_COMMENT_DROP = {
    "sqlite": (
        *(f"DROP TRIGGER IF EXISTS {COMMENT_TABLE}_{event}" for event in ("insert", "delete", "update")),
        f"DROP TABLE IF EXISTS {COMMENT_TABLE}",
    ),
    "postgresql": (f"DROP INDEX IF EXISTS {COMMENT_TABLE}_document",),
}


def create_comment_index(connection) -> None:
    """Create the comments' full-text index of the connection's engine (nothing if it exists)."""
    for statement in COMMENT_DDL[connection.dialect.name]:
        connection.exec_driver_sql(statement)


def rebuild_comment_index(connection) -> None:
    """Index every stored comment (the migration's backfill; PostgreSQL's index was built as it was made)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"INSERT INTO {COMMENT_TABLE} ({COMMENT_TABLE}) VALUES ('rebuild')")


def drop_comment_index(connection) -> None:
    """Drop the comments' full-text index (with the comment table, or as the migration is undone)."""
    for statement in _COMMENT_DROP[connection.dialect.name]:
        connection.exec_driver_sql(statement)


event.listen(Comment.__table__, "after_create", lambda _table, connection, **_kw: create_comment_index(connection))
event.listen(Comment.__table__, "before_drop", lambda _table, connection, **_kw: drop_comment_index(connection))


# Below this many matches a search reads them all and sorts them by the tab's order (about 2 µs a match);
# from it on, the words are common enough that walking the tab in its order and checking each row against
# the index (about 0.3 ms a row) finds a page sooner. Measured by scripts/bench_queue.py.
FEW_COMMENTS = 80_000


def _comment_match(terms: list[str]) -> sa.TextClause:
    # Each word in double quotes is a plain string to FTS5, never an operator (OR, NEAR, *, ^, column:).
    return sa.text(f"{COMMENT_TABLE} MATCH :comment_match").bindparams(
        comment_match=" ".join(f'"{term}"' for term in terms)
    )


def comments_matching(query: str, connection):
    """Return the SQL condition "the comment's author name or text holds every word of ``query``" (whole
    words, stemmed: "reply" also finds "replies"), or None when the query has no word to look for; beside
    it, whether the matches are few enough to be read first and sorted (on PostgreSQL the planner knows)."""
    terms = words(query)
    if not terms:
        return None, False
    if connection.dialect.name == "sqlite":
        # SQLite's planner cannot tell a rare word from a common one: it is told, by counting up to FEW.
        ids = sa.select(sa.literal_column("rowid")).select_from(sa.table(COMMENT_TABLE)).where(_comment_match(terms))
        few = connection.scalar(sa.select(sa.func.count()).select_from(ids.limit(FEW_COMMENTS).subquery()))
        if few < FEW_COMMENTS:
            return Comment.id.in_(ids), True
        return sa.exists(ids.where(sa.literal_column(f"{COMMENT_TABLE}.rowid") == Comment.id)), False
    document = sa.literal_column(_COMMENT_DOCUMENT)
    english = sa.literal_column("'english'::regconfig")
    return document.op("@@")(sa.func.plainto_tsquery(english, " ".join(terms))), False


_COMMENT_INDEX = sa.table(COMMENT_TABLE, sa.column("rowid", sa.Integer))


def comments_by_arrival(query: str, connection) -> tuple[sa.ColumnElement, sa.ColumnElement] | None:
    """On SQLite, for a query with words: the full-text index's row id, keyed ``id`` as the comment's id
    it equals, and the condition that the comment holds every word, for a page of matches read from the
    index itself, last arrived first.

    FTS5 walks a word's list of rows in row id order, either way, and stops at the end of the page: a few
    milliseconds at 1,000,000 comments whether the words are in ten comments or in most of them, where
    reading every match to sort it by date (``comments_matching``) takes up to 0.4 s for common words.
    None on PostgreSQL (whose planner picks between its index and the tab's order by itself) or when the
    query has no word.
    """
    terms = words(query)
    if not terms or connection.dialect.name != "sqlite":
        return None
    rowid = _COMMENT_INDEX.c.rowid
    return rowid.label("id"), sa.and_(_comment_match(terms), rowid == Comment.id)
