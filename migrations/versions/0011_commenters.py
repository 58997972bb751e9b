"""Commenters in the loop: what each commenter asked to be told, the mail queue, and the opt-outs

Revision ID: 0011_commenters
Revises: 0010_spam
Create Date: 2026-11-30

Comment gains notify_approved and notify_replies (false for every existing comment: nobody ticked a box
that did not exist) and edited_at. The notice table is the queue the worker sends from; mail_opt_out
holds the addresses (by email key) that unsubscribed from everything.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_commenters"
down_revision = "0010_spam"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_approved", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("notify_replies", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("approved", "reply", name="noticekind", native_enum=False, length=16), nullable=False
        ),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_sent_due", "notice", ["sent_at", "due_at"])
    op.create_table(
        "mail_opt_out",
        sa.Column("email_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_key"),
    )


def downgrade():
    op.drop_table("mail_opt_out")
    op.drop_index("ix_notice_sent_due", table_name="notice")
    op.drop_table("notice")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_column("edited_at")
        batch_op.drop_column("notify_replies")
        batch_op.drop_column("notify_approved")
