"""Migration 0011 leaves every stored comment opted out of every notice (nobody ticked a box that did not
exist), and unwinds keeping the comments."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from blog.core.extensions import db
from tests.test_migrations import MIGRATIONS, bare_app, insert_old_article  # noqa: F401 (a fixture)

WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def test_0011_stored_comments_ask_for_nothing_and_downgrade_keeps_them(bare_app):  # noqa: F811
    with bare_app.app_context():
        upgrade(directory=MIGRATIONS, revision="0007_pages")
        meta = sa.MetaData()
        comment = sa.Table("comment", meta, autoload_with=db.engine)
        with db.engine.begin() as conn:
            insert_old_article(conn, WHEN)
            conn.execute(
                comment.insert(),
                {"id": 7, "article_id": 1, "author_name": "Ann", "author_email": "ann@example.org",
                 "author_url": "", "author_ip": "", "user_agent": "", "raw_text": "Hi", "html": "<p>Hi</p>",
                 "status": "approved", "reasons": [], "created_at": WHEN},
            )  # fmt: skip
        upgrade(directory=MIGRATIONS, revision="0011_commenters")
        with db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT notify_approved, notify_replies, edited_at FROM comment")).one()
            assert tuple(row) == (False, False, None)
            assert {"notice", "mail_opt_out"} <= set(sa.inspect(conn).get_table_names())

        downgrade(directory=MIGRATIONS, revision="0007_pages")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, raw_text FROM comment")).one() == (7, "Hi")
            assert "notify_replies" not in {c["name"] for c in sa.inspect(conn).get_columns("comment")}
            assert not {"notice", "mail_opt_out"} & set(sa.inspect(conn).get_table_names())
