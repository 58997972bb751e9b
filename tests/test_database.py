"""The engine set-up: SQLite in WAL mode, writers holding the write lock from their first statement."""

import sqlite3

import pytest
import sqlalchemy as sa

from blog.database import begin_write
from blog.extensions import db


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
