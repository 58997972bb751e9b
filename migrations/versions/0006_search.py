"""Search: an FTS5 table on SQLite, a tsvector table with a GIN index on PostgreSQL

Revision ID: 0006_search
Revises: 0005_tags
Create Date: 2026-12-07

The structures are made by the statements the app itself uses for db.create_all (blog/reading/search.py,
so both paths agree), then every stored article is indexed: a re-publish leaves unchanged files alone, so
without this the articles published before the upgrade could never be found.
"""

from alembic import op

from blog.reading import search

revision = "0006_search"
down_revision = "0005_tags"
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    search.create(conn)
    search.rebuild(conn)


def downgrade():
    search.drop(op.get_bind())
