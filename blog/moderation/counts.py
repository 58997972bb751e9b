"""How many comments each queue tab holds, kept by the database in the same transaction as every change.

The tab counts are read on every queue page; counting them there reads every comment. Instead the
``comment_count`` table holds one row per status, and triggers on the comment table move its numbers with
each insert, delete and status change, whoever makes it (posting, moderation, imports, purges, an article
deleted with its comments, a hand-written SQL statement): nothing in Python has to remember to, so the
counts cannot drift from a real COUNT. SQLite counts row by row; PostgreSQL once per statement, from its
transition tables, so a bulk load or a purge updates each count once.

The structures are created with the comment table (db.create_all) and by the migration 0012_queue_at_scale,
from the same statements. A SQLite migration that rebuilds the comment table (``batch_alter_table``) drops
its triggers: such a migration calls ``create`` again afterwards.
"""

import sqlalchemy as sa
from sqlalchemy import event

from blog.core.models import Comment, CommentStatus

TABLE = "comment_count"

_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON comment BEGIN "
    f"UPDATE {TABLE} SET n = n + 1 WHERE status = new.status; END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON comment BEGIN "
    f"UPDATE {TABLE} SET n = n - 1 WHERE status = old.status; END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF status ON comment "
    "WHEN old.status IS NOT new.status BEGIN "
    f"UPDATE {TABLE} SET n = n - 1 WHERE status = old.status; "
    f"UPDATE {TABLE} SET n = n + 1 WHERE status = new.status; END",
)


def _postgresql_trigger(change: str, rows: str, referencing: str) -> tuple[str, str]:
    # The counts are updated one status at a time in status order, so two transactions that both move
    # comments between the same statuses take the rows' locks in the same order (no deadlock).
    function = (
        f"CREATE OR REPLACE FUNCTION {TABLE}_{change}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE d record; BEGIN "
        f"FOR d IN SELECT status, sum(k) AS k FROM ({rows}) AS moved GROUP BY status HAVING sum(k) <> 0 "
        f"ORDER BY status LOOP UPDATE {TABLE} SET n = n + d.k WHERE status = d.status; END LOOP; "
        "RETURN NULL; END $$"
    )
    trigger = (
        f"CREATE OR REPLACE TRIGGER {TABLE}_{change} AFTER {change.upper()} ON comment "
        f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_{change}()"
    )
    return function, trigger


DDL = {
    "sqlite": (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (status VARCHAR(16) PRIMARY KEY, n INTEGER NOT NULL)",
        *_SQLITE_TRIGGERS,
    ),
    "postgresql": (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (status VARCHAR(16) PRIMARY KEY, n BIGINT NOT NULL)",
        *_postgresql_trigger("insert", "SELECT status, 1 AS k FROM new_rows", "NEW TABLE AS new_rows"),
        *_postgresql_trigger("delete", "SELECT status, -1 AS k FROM old_rows", "OLD TABLE AS old_rows"),
        *_postgresql_trigger(
            "update",
            "SELECT status, -1 AS k FROM old_rows UNION ALL SELECT status, 1 FROM new_rows",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
    ),
}
_DROP = {
    "sqlite": (*(f"DROP TRIGGER IF EXISTS {TABLE}_{change}" for change in ("insert", "delete", "update")),),
    "postgresql": (
        *(f"DROP TRIGGER IF EXISTS {TABLE}_{change} ON comment" for change in ("insert", "delete", "update")),
        *(f"DROP FUNCTION IF EXISTS {TABLE}_{change}()" for change in ("insert", "delete", "update")),
    ),
}
_COUNTS = sa.table(TABLE, sa.column("status", sa.String), sa.column("n", sa.Integer))
_COMMENTS = sa.table("comment", sa.column("status", sa.String))


def create(connection) -> None:
    """Create the counts table and its triggers (nothing that exists), and count the comments stored."""
    for statement in DDL[connection.dialect.name]:
        connection.exec_driver_sql(statement)
    recount(connection)


def recount(connection) -> None:
    """Set every count to a real COUNT of the comment table (on creation, and as a repair)."""
    stored = dict(connection.execute(sa.select(_COMMENTS.c.status, sa.func.count()).group_by(_COMMENTS.c.status)).all())
    connection.execute(sa.delete(_COUNTS))
    statuses = [s.value for s in CommentStatus] + sorted(set(stored) - {s.value for s in CommentStatus})
    connection.execute(sa.insert(_COUNTS), [{"status": s, "n": stored.get(s, 0)} for s in statuses])


def drop(connection) -> None:
    """Drop the triggers and the counts table (before the comment table, or as the migration is undone)."""
    for statement in _DROP[connection.dialect.name]:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")


event.listen(Comment.__table__, "after_create", lambda _table, connection, **_kw: create(connection))
event.listen(Comment.__table__, "before_drop", lambda _table, connection, **_kw: drop(connection))


def by_status(connection) -> dict[str, int]:
    """Return the number of comments of each status, and "all" (pending and approved, as the tab shows)."""
    counts = {s.value: 0 for s in CommentStatus}
    counts.update((status, int(n)) for status, n in connection.execute(sa.select(_COUNTS.c.status, _COUNTS.c.n)).all())
    counts["all"] = counts["pending"] + counts["approved"]
    return counts
