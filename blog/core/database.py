"""Engine set-up: SQLite's file mode, WAL mode and write locks, and the write-transaction helper."""

import contextlib
import os
import sqlite3

from sqlalchemy import event

from blog.core.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_create_private(dialect, _record, cargs, cparams):
    """Create a new SQLite database file readable by its owner only, before SQLite opens it.

    It holds commenters' emails and IPs; SQLite would create it with the umask's mode (often 0644), and
    gives its -wal and -shm files the mode of the database file, so they follow.
    """
    if dialect.name != "sqlite" or cparams.get("uri"):
        return
    path = cargs[0] if cargs else cparams.get("database", "")
    if not path or path == ":memory:":
        return
    # A missing folder or a read-only path: SQLite's own error says it better. An existing file is left
    # alone, unopened: closing any descriptor of a file drops every POSIX lock this process holds on it,
    # so opening the database beside a connection of another thread would take that connection's
    # SQLite locks away (a "disk I/O error", then a corrupt file).
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_on_connect(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # We issue BEGIN ourselves (below), so that writes can take the lock up front.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # A read-then-write transaction that began deferred can meet SQLITE_BUSY half-way, which the busy
    # timeout cannot cure; writers therefore take the write lock when they begin.
    immediate = conn.get_execution_options().get("write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_HOOKS = (("do_connect", _sqlite_create_private), ("connect", _sqlite_on_connect), ("begin", _sqlite_begin))


def init_app(app) -> None:
    """Attach the SQLite hooks to the app's engines, before any of them connects.

    Each engine of the app gets them once, and no other engine in the process (a test's or a tool's).
    """
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        for name, hook in _HOOKS:
            if not event.contains(engine, name, hook):
                event.listen(engine, name, hook)


def begin_write():
    """Start the session's transaction as a write transaction (``BEGIN IMMEDIATE`` on SQLite).

    Call it before the queries whose answers decide the write. A read transaction already open is
    ended first; what it loaded stays loaded (an article's title need not be fetched again), while the
    decisions that follow query afresh under the write lock.
    """
    end_transaction()
    db.session.connection(execution_options={"write": True})


def end_transaction():
    """End the Session's transaction, if one is open, keeping what it loaded.

    After a write made on a connection of its own, a Session whose transaction began before it
    would go on reading the database as it was (SQLite's WAL snapshot, PostgreSQL's repeatable read).
    """
    if not db.session.registry.has():
        return  # the request has no Session yet (a comment post): none to make just to ask
    session = db.session()  # the request's Session itself; the scoped proxy lacks in_transaction
    if session.in_transaction():
        commit_keeping_loaded()


def commit_keeping_loaded():
    """Commit, leaving what the session holds loaded rather than expired.

    For a request that has just written what it holds (or read what will not change under it), so
    the redirect that follows does not read every row back.
    """
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
