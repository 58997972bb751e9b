"""Pages: an article row may be a page (About), with a place in the header navigation

Revision ID: 0007_pages
Revises: 0006_search
Create Date: 2026-11-30

Front matter `type: page` stores kind "page"; `nav: N` stores nav_order N. Every existing row is an
article, which the server default says.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_pages"
down_revision = "0006_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum("article", "page", name="articlekind", native_enum=False, length=16),
                nullable=False,
                server_default="article",
            )
        )
        batch_op.add_column(sa.Column("nav_order", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("nav_order")
        batch_op.drop_column("kind")
