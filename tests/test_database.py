"""The engine set-up: SQLite in WAL mode, writers holding the write lock from their first statement."""

import os
import sqlite3
import subprocess
import sys

import pytest
import sqlalchemy as sa

from blog.core.database import begin_write
from blog.core.extensions import db


@pytest.fixture
def sqlite_app(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite-specific: this run tests PostgreSQL")
    return app


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_app):
    with sqlite_app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_begin_write_takes_the_write_lock_at_once(sqlite_app):
    with sqlite_app.app_context():
        begin_write()
        db.session.execute(sa.text("SELECT 1"))
        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
        other.execute("BEGIN IMMEDIATE")  # free again once the writer is done
        other.execute("ROLLBACK")
        other.close()


def test_plain_reads_do_not_lock_out_writers(sqlite_app):
    with sqlite_app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
        db.session.rollback()


def test_the_database_and_its_wal_files_are_readable_by_the_owner_only(sqlite_app):
    """The database holds commenters' emails and IPs: no other account on the machine may read it,
    whatever the umask of whoever ran `make serve` or the first `flask db upgrade`."""
    path = sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with sqlite_app.app_context():
        db.session.execute(sa.text("CREATE TABLE written (x INTEGER)"))  # a write makes the WAL and SHM files
        db.session.commit()
        files = {suffix: os.stat(path + suffix).st_mode & 0o777 for suffix in ("", "-wal", "-shm")}
    assert files == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_a_new_connection_leaves_the_locks_of_another_alone(sqlite_app):
    """POSIX locks belong to the process, and closing any descriptor of a file drops them all. Opening a
    connection (another thread's, the notice outbox's) must not drop the lock a connection of this
    process holds on the database file, or another process that closes its own connection believes it
    is the last one and deletes the WAL under our feet (a "disk I/O error", then a corrupt file)."""
    path = sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    other_process = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT 1 FROM article'); c.close()"
    )
    with sqlite_app.app_context():
        begin_write()
        db.session.execute(sa.text("SELECT count(*) FROM article"))
        fresh = [db.engine.connect() for _ in range(3)]  # new connections, made while the transaction is open
        try:
            subprocess.run([sys.executable, "-c", other_process, path], check=True, timeout=60)
            assert os.path.exists(path + "-wal")
        finally:
            for connection in fresh:
                connection.close()
            db.session.rollback()
