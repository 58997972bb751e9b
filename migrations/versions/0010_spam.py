"""The spam filter: each comment's spam score, shape and lesson; the weights learnt from the moderators

Revision ID: 0010_spam
Revises: 0009_privacy
Create Date: 2026-11-30

A comment stores the score the filter gave it when posted (none for the comments already stored), the
hash of its words without digits that the repetition feature counts (filled here for the comments
already stored, with its index), and which lesson its moderation taught. ``spam_weight`` holds what the
moderators have taught, ``spam_model`` its one version row (blog/spam/store.py).
"""

import sqlalchemy as sa
from alembic import op

# The app's own normalisation, so that the stored shapes are the ones the post path computes.
from blog.core import normalise

revision = "0010_spam"
down_revision = "0009_privacy"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spam_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("text_shape", sa.String(length=16), server_default="", nullable=False))
        batch_op.add_column(sa.Column("spam_label", sa.String(length=4), nullable=True))

    connection = op.get_bind()
    comment = sa.table("comment", sa.column("id", sa.Integer), sa.column("raw_text", sa.Text), sa.column("text_shape"))
    fill = sa.update(comment).where(comment.c.id == sa.bindparam("row_id")).values(text_shape=sa.bindparam("shape"))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(comment.c.id, comment.c.raw_text).where(comment.c.id > last).order_by(comment.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(fill, [{"row_id": r.id, "shape": normalise.text_shape(r.raw_text or "")} for r in rows])
        last = rows[-1].id

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index("ix_comment_shape_created", ["text_shape", "created_at"], unique=False)

    op.create_table(
        "spam_weight",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )
    op.create_index("ix_spam_weight_version", "spam_weight", ["version"], unique=False)
    op.create_table(
        "spam_model",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("lessons", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade():
    op.drop_table("spam_model")
    op.drop_index("ix_spam_weight_version", table_name="spam_weight")
    op.drop_table("spam_weight")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_shape_created")
        batch_op.drop_column("spam_label")
        batch_op.drop_column("text_shape")
        batch_op.drop_column("spam_score")
