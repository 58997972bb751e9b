"""The moderation queue at a million comments: indexes for every tab's order, tab counts, comment search

Revision ID: 0012_queue_at_scale
Revises: 0011_commenters
Create Date: 2026-12-01

Each queue tab is read as a keyset page from an index in its order (blog/moderation/queue.py): per status by
date and by spam score, and partial indexes for the All tab (pending and approved). The tab counts move to the
comment_count table kept by triggers (blog/moderation/counts.py), counted once here from the stored comments.
The comments get a full-text index (blog/reading/search.py), filled here with every stored comment. The counts
and the search index are made by the same statements the app uses for db.create_all, so both paths agree.
"""

from alembic import op

from blog.core.models import ALL_TAB
from blog.moderation import counts
from blog.reading import search

revision = "0012_queue_at_scale"
down_revision = "0011_commenters"
branch_labels = None
depends_on = None

# Made with op.create_index, not batch_alter_table: on SQLite a batch rebuilds the comment table, which
# would drop the triggers that keep the counts and the search index.
INDEXES = {
    "ix_comment_status_created_id": (["status", "created_at", "id"], {}),
    "ix_comment_status_score": (["status", "spam_score", "created_at", "id"], {}),
    "ix_comment_all_created": (["created_at", "id"], {"sqlite_where": ALL_TAB, "postgresql_where": ALL_TAB}),
    "ix_comment_all_score": (
        ["spam_score", "created_at", "id"],
        {"sqlite_where": ALL_TAB, "postgresql_where": ALL_TAB},
    ),
}


def upgrade():
    op.drop_index("ix_comment_status_created", table_name="comment")
    for name, (columns, where) in INDEXES.items():
        op.create_index(name, "comment", columns, **where)
    conn = op.get_bind()
    counts.create(conn)
    search.create_comment_index(conn)
    search.rebuild_comment_index(conn)


def downgrade():
    conn = op.get_bind()
    search.drop_comment_index(conn)
    counts.drop(conn)
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="comment")
    op.create_index("ix_comment_status_created", "comment", ["status", "created_at"])
