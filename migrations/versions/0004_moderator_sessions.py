"""A session token per moderator, so that signing out ends sessions

Revision ID: 0004_moderator_sessions
Revises: 0003_comment_fingerprints
Create Date: 2026-11-30

Every session and remember-me cookie names the moderator by id and this token; signing out, a new
password and `moderator sign-out-everywhere` replace it, which ends them all. Each existing moderator
gets a random token of their own; sessions from before (which name the id alone) are refused.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0004_moderator_sessions"
down_revision = "0003_comment_fingerprints"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("moderator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    moderator = sa.table("moderator", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    conn = op.get_bind()
    for (moderator_id,) in conn.execute(sa.select(moderator.c.id)).all():
        conn.execute(
            moderator.update().where(moderator.c.id == moderator_id).values(session_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("moderator", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table("moderator", schema=None) as batch_op:
        batch_op.drop_column("session_token")
