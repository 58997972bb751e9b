"""Migration 0003 fills the fingerprints of the comments already stored, and unwinds."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from blog.core import normalise
from blog.core.extensions import db
from tests.test_migrations import MIGRATIONS, bare_app  # noqa: F401 (a fixture)


def test_0003_fills_fingerprints_of_stored_comments_and_downgrades(bare_app):  # noqa: F811
    with bare_app.app_context():
        upgrade(directory=MIGRATIONS, revision="0002_duplicate_check_indexes")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO article (id, slug, title, author, summary, tags, status, comments_open, published_at,"
                    " updated_at, source_path, content_hash, html, toc_html, description, image, version,"
                    " approved_count) VALUES (1, 'a', 'A', '', '', '[]', 'published', true, '2024-01-01 00:00:00',"
                    " '2024-01-01 00:00:00', '', '', '', '', '', '', 1, 0)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO comment (id, article_id, author_name, author_email, author_url, author_ip, user_agent,"
                    " raw_text, html, status, reasons, created_at) VALUES (1, 1, 'Ann', 'Ann@Example.org', '', '',"
                    " '', 'Same  WORDS.', '<p>Same  WORDS.</p>', 'approved', '[]', '2024-01-02 00:00:00')"
                )
            )
        upgrade(directory=MIGRATIONS, revision="0003_comment_fingerprints")
        with db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT text_fingerprint, author_email_key FROM comment")).one()
        assert row.text_fingerprint == normalise.text_fingerprint("same words.")
        assert row.author_email_key == "ann@example.org"

        downgrade(directory=MIGRATIONS, revision="0002_duplicate_check_indexes")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("comment")}
            assert conn.execute(sa.text("SELECT raw_text FROM comment")).scalar() == "Same  WORDS."
        assert "text_fingerprint" not in columns and "author_email_key" not in columns
