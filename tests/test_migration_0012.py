"""Migration 0012 counts the comments already stored and indexes their words, and unwinds keeping them."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from blog.core.extensions import db
from blog.moderation import counts, queue
from tests.test_migrations import MIGRATIONS, bare_app, insert_old_article  # noqa: F401 (a fixture)

WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def test_0012_counts_and_indexes_the_stored_comments_and_downgrade_keeps_them(bare_app):  # noqa: F811
    with bare_app.app_context():
        upgrade(directory=MIGRATIONS, revision="0011_commenters")
        meta = sa.MetaData()
        comment = sa.Table("comment", meta, autoload_with=db.engine)
        with db.engine.begin() as conn:
            insert_old_article(conn, WHEN)
            conn.execute(
                comment.insert(),
                [
                    {"id": i, "article_id": 1, "author_name": "Ann", "author_email": "", "author_url": "",
                     "author_ip": "", "user_agent": "", "raw_text": text, "html": "", "status": status,
                     "reasons": [], "created_at": WHEN}
                    for i, (text, status) in enumerate(
                        [("Stored before the upgrade", "approved"), ("Held", "pending"), ("Junk", "spam")], 1
                    )
                ],
            )  # fmt: skip
        upgrade(directory=MIGRATIONS, revision="0012_queue_at_scale")
        with db.engine.connect() as conn:
            assert counts.by_status(conn) == {"pending": 1, "approved": 1, "spam": 1, "trash": 0, "all": 2}
        assert [c.id for c in queue.page("all", "upgrade").items] == [1]
        db.session.remove()  # its read transaction would hold up the downgrade's DROP

        downgrade(directory=MIGRATIONS, revision="0011_commenters")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM comment")).scalar() == 3
            assert counts.TABLE not in sa.inspect(conn).get_table_names()
            assert "ix_comment_status_created" in {i["name"] for i in sa.inspect(conn).get_indexes("comment")}
