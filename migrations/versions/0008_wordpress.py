"""WordPress import: comment kinds (pings), the post author's comments, old permalinks, imported files

Revision ID: 0008_wordpress
Revises: 0007_pages
Create Date: 2026-11-30

Every existing comment is a plain comment, by a reader, made here (the server defaults say so).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_wordpress"
down_revision = "0007_pages"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum("comment", "pingback", "trackback", name="commentkind", native_enum=False, length=16),
                nullable=False,
                server_default="comment",
            )
        )
        batch_op.add_column(sa.Column("by_post_author", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("wordpress_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_comment_article_wordpress_id", ["article_id", "wordpress_id"], unique=True)
    op.create_table(
        "redirect",
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )
    op.create_table(
        "imported_file",
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )


def downgrade():
    op.drop_table("imported_file")
    op.drop_table("redirect")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_article_wordpress_id")
        batch_op.drop_column("wordpress_id")
        batch_op.drop_column("by_post_author")
        batch_op.drop_column("kind")
