"""Migration 0005 gives the articles already stored their tag rows, by the one slug rule, and unwinds."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from blog.core.extensions import db
from blog.publishing.tags import tag_slug
from tests.test_migrations import MIGRATIONS, bare_app  # noqa: F401 (a fixture)

TAGS = ["Travel Notes", "travel-notes", "Économie", "C++ & Python"]


def test_0005_fills_the_tag_rows_of_stored_articles_and_downgrades(bare_app):  # noqa: F811
    with bare_app.app_context():
        upgrade(directory=MIGRATIONS, revision="0004_moderator_sessions")
        values = {
            "author": "",
            "summary": "",
            "comments_open": True,
            "published_at": datetime(2024, 1, 1, tzinfo=UTC),
            "updated_at": datetime(2024, 1, 1, tzinfo=UTC),
            "source_path": "",
            "content_hash": "",
            "html": "",
            "toc_html": "",
            "description": "",
            "image": "",
            "version": 1,
            "approved_count": 0,
        }
        table = sa.Table("article", sa.MetaData(), autoload_with=db.engine)
        with db.engine.begin() as conn:
            conn.execute(
                table.insert(),
                [
                    {"id": 1, "slug": "a", "title": "A", "tags": TAGS, "status": "published", **values},
                    {"id": 2, "slug": "b", "title": "B", "tags": [], "status": "published", **values},
                ],
            )
        upgrade(directory=MIGRATIONS, revision="0005_tags")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT article_id, slug, name FROM article_tag ORDER BY slug")).all()
        # The migration's frozen copy of the rule agrees with the live one.
        assert [tuple(r) for r in rows] == [
            (1, tag_slug("C++ & Python"), "C++ & Python"),
            (1, tag_slug("Économie"), "Économie"),
            (1, "travel-notes", "Travel Notes"),
        ]

        downgrade(directory=MIGRATIONS, revision="0004_moderator_sessions")
        with db.engine.connect() as conn:
            assert "article_tag" not in sa.inspect(conn).get_table_names()
