"""Indexes for the duplicate-comment check

Revision ID: 0002_duplicate_check_indexes
Revises: db250e9cdb78
Create Date: 2026-11-28

The duplicate check asks for a comment of the same article with the same name or email and the same
words; with only the article's status index it read every comment of the article on each post.
"""

from alembic import op

revision = "0002_duplicate_check_indexes"
down_revision = "db250e9cdb78"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index("ix_comment_article_email", ["article_id", "author_email"], unique=False)
        batch_op.create_index("ix_comment_article_author", ["article_id", "author_name"], unique=False)


def downgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_article_author")
        batch_op.drop_index("ix_comment_article_email")
