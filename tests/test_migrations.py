"""The migrations build exactly the schema the models describe, and unwind completely."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from blog import create_app
from blog.core.extensions import db
from blog.moderation import counts
from blog.reading import search

MIGRATIONS = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "migrations")


@pytest.fixture
def bare_app(app_config):
    """An app whose database has no tables yet (the migrations make them)."""
    app = create_app(app_config)
    yield app
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.drop_all()
        db.engine.dispose()


def insert_old_article(conn, when) -> None:
    """Store article 1 as the migrations since 0007 left the table, for a test of a later migration."""
    article = sa.Table("article", sa.MetaData(), autoload_with=conn)
    conn.execute(
        article.insert(),
        {"id": 1, "slug": "a", "title": "A", "author": "", "summary": "", "tags": [], "status": "published",
         "comments_open": True, "published_at": when, "updated_at": when, "source_path": "",
         "content_hash": "", "html": "", "toc_html": "", "description": "", "image": "", "version": 1,
         "approved_count": 1},
    )  # fmt: skip


def _user_tables(conn):
    return set(sa.inspect(conn).get_table_names()) - {"alembic_version"} - _search_tables(conn)


# The structures made by DDL beside the models: the search indexes (blog/reading/search.py; FTS5 adds shadow
# tables) and the queue's tab counts (blog/moderation/counts.py).
DDL_PREFIXES = (search.TABLE, search.COMMENT_TABLE, counts.TABLE)


def _search_tables(conn) -> set[str]:
    """The structures made by DDL, not the models (DDL_PREFIXES)."""
    return {name for name in sa.inspect(conn).get_table_names() if name.startswith(DDL_PREFIXES)}


def _search_schema(conn) -> list:
    """The structures made by DDL (tables, indexes, triggers, functions) as the database describes them, to
    compare the two ways of making them."""
    if conn.dialect.name == "sqlite":
        queries = ["SELECT type, name, sql FROM sqlite_master WHERE name LIKE :t ORDER BY name"]
    else:
        queries = [
            "SELECT c.relname, c.relkind, pg_get_indexdef(c.oid), "
            "(SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || coalesce("
            "' ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum) FROM pg_attribute a "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = c.oid AND a.attnum > 0) "
            "FROM pg_class c WHERE c.relname LIKE :t AND c.relnamespace = current_schema()::regnamespace "
            "ORDER BY c.relname",
            "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE :t AND c.relnamespace = current_schema()::regnamespace ORDER BY t.tgname",
            "SELECT p.proname, p.prosrc FROM pg_proc p WHERE p.proname LIKE :t "
            "AND p.pronamespace = current_schema()::regnamespace ORDER BY p.proname",
        ]
    return [
        tuple(row)
        for prefix in DDL_PREFIXES
        for query in queries
        for row in conn.execute(sa.text(query), {"t": f"{prefix}%"})
    ]


def test_upgrade_matches_the_models_and_downgrade_removes_everything(bare_app):
    with bare_app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            assert _user_tables(conn) == set(db.metadata.tables)
            opts = {
                "compare_type": True,
                "include_name": lambda name, kind, _parent: not (name or "").startswith(DDL_PREFIXES),
            }
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
            migrated_search = _search_schema(conn)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert migrated_search, "the migrations made no search structures"

        downgrade(directory=MIGRATIONS, revision="base")
        with db.engine.connect() as conn:
            assert _user_tables(conn) == set()
            assert _search_tables(conn) == set()
            assert _search_schema(conn) == []

        # db.create_all (the tests' schema) makes the search structures exactly as the migration does.
        db.create_all()
        with db.engine.connect() as conn:
            assert _search_schema(conn) == migrated_search


def test_the_search_migration_indexes_the_articles_already_stored(bare_app):
    with bare_app.app_context():
        upgrade(directory=MIGRATIONS, revision="0004_moderator_sessions")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO article (slug, title, author, summary, tags, status, comments_open, published_at, "
                    "updated_at, source_path, content_hash, html, toc_html, description, image, version, "
                    "approved_count) VALUES ('old', 'An old article', '', '', '[]', 'published', true, "
                    "'2024-01-01', '2024-01-01', 'old.md', '', '<p>Written before search</p>', '', '', '', 1, 0)"
                )
            )
        upgrade(directory=MIGRATIONS)
        assert [r.article.slug for r in search.search("before search")] == ["old"]
        db.session.remove()  # its read transaction would hold up the downgrade's DROP TABLE
        downgrade(directory=MIGRATIONS, revision="base")
