"""Tags by slug, so that a tag page is one indexed query

Revision ID: 0005_tags
Revises: 0004_moderator_sessions
Create Date: 2026-11-30

Each article's tags (kept as written in article.tags) get a row per slug in article_tag. The rows of
articles published before are filled in here, as publishing would have (an unchanged file is not
re-read), with the slug rule of blog/publishing/source.py as it stands at this revision.
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0005_tags"
down_revision = "0004_moderator_sessions"
branch_labels = None
depends_on = None


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:100]


def upgrade():
    op.create_table(
        "article_tag",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "slug"),
    )
    op.create_index("ix_article_tag_slug", "article_tag", ["slug", "article_id"], unique=False)
    article = sa.table("article", sa.column("id", sa.Integer), sa.column("tags", sa.JSON))
    article_tag = sa.table(
        "article_tag", sa.column("article_id", sa.Integer), sa.column("slug", sa.String), sa.column("name", sa.String)
    )
    conn = op.get_bind()
    rows = []
    for article_id, tags in conn.execute(sa.select(article.c.id, article.c.tags)).all():
        seen = set()
        for name in tags or []:
            slug = _slug(str(name))
            if slug and slug not in seen:
                seen.add(slug)
                rows.append({"article_id": article_id, "slug": slug, "name": str(name)[:100]})
    if rows:
        conn.execute(article_tag.insert(), rows)


def downgrade():
    op.drop_index("ix_article_tag_slug", table_name="article_tag")
    op.drop_table("article_tag")
