"""Comment fingerprints: the duplicate and flood rules compare normalised words and emails

Revision ID: 0003_comment_fingerprints
Revises: 0002_duplicate_check_indexes
Create Date: 2026-11-30

The duplicate rule compared the raw text and the email exactly, so other letter case, doubled spaces or
zero-width characters made a copy look new. Each comment now stores the hash of its normalised text
and its lower-cased email (blog/core/normalise.py), filled here for the comments already stored, with the
indexes the two rules use in place of those on the raw email and name.
"""

import sqlalchemy as sa
from alembic import op

# The app's own normalisation, so that the stored fingerprints are the ones the post path computes.
from blog.core import normalise

revision = "0003_comment_fingerprints"
down_revision = "0002_duplicate_check_indexes"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_fingerprint", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("author_email_key", sa.String(length=200), server_default="", nullable=False))

    connection = op.get_bind()
    comment = sa.table(
        "comment",
        sa.column("id", sa.Integer),
        sa.column("raw_text", sa.Text),
        sa.column("author_email", sa.String),
        sa.column("text_fingerprint", sa.String),
        sa.column("author_email_key", sa.String),
    )
    fill = (
        sa.update(comment)
        .where(comment.c.id == sa.bindparam("row_id"))
        .values(text_fingerprint=sa.bindparam("fingerprint"), author_email_key=sa.bindparam("email_key"))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(comment.c.id, comment.c.raw_text, comment.c.author_email)
            .where(comment.c.id > last)
            .order_by(comment.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            fill,
            [
                {
                    "row_id": row.id,
                    "fingerprint": normalise.text_fingerprint(row.raw_text or ""),
                    "email_key": normalise.email_key(row.author_email or ""),
                }
                for row in rows
            ],
        )
        last = rows[-1].id

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_article_author")
        batch_op.drop_index("ix_comment_article_email")
        batch_op.drop_index("ix_comment_email_created")
        batch_op.create_index("ix_comment_email_key_created", ["author_email_key", "created_at"], unique=False)
        batch_op.create_index("ix_comment_article_fingerprint", ["article_id", "text_fingerprint"], unique=False)


def downgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_article_fingerprint")
        batch_op.drop_index("ix_comment_email_key_created")
        batch_op.create_index("ix_comment_email_created", ["author_email", "created_at"], unique=False)
        batch_op.create_index("ix_comment_article_email", ["article_id", "author_email"], unique=False)
        batch_op.create_index("ix_comment_article_author", ["article_id", "author_name"], unique=False)
        batch_op.drop_column("author_email_key")
        batch_op.drop_column("text_fingerprint")
