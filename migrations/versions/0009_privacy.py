"""Commenters' emails encrypted at rest, with a keyed blind index for every lookup by address

Revision ID: 0009_privacy
Revises: 0008_wordpress
Create Date: 2026-11-30

The email column held addresses in clear and author_email_key their lower-cased form, so a dump gave every
commenter's address away. The email now holds a Fernet token under FLASK_DATA_KEY and author_email_key an
HMAC-SHA256 of the lower-cased address under the database's own index key (site_state, wrapped under the
data key): blog/core/keys.py. Both are filled here for the comments already stored; the downgrade puts the
addresses back in clear. Both need FLASK_DATA_KEY (or the local key in instance/).
"""

import sqlalchemy as sa
from alembic import op

from blog.core import keys, normalise

revision = "0009_privacy"
down_revision = "0008_wordpress"
branch_labels = None
depends_on = None

BATCH = 1000

comment = sa.table(
    "comment",
    sa.column("id", sa.Integer),
    sa.column("author_email", sa.Text),
    sa.column("author_email_key", sa.String),
)
_fill = (
    sa.update(comment)
    .where(comment.c.id == sa.bindparam("row_id"))
    .values(author_email=sa.bindparam("email"), author_email_key=sa.bindparam("email_key"))
)


def _rewrite(connection, change) -> None:
    """Give every comment the (email, key) that ``change(email)`` makes of its stored email, in batches."""
    last = 0
    while True:
        rows = connection.execute(
            sa.select(comment.c.id, comment.c.author_email)
            .where(comment.c.id > last)
            .order_by(comment.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for row in rows:
            email, email_key = change(row.author_email or "")
            values.append({"row_id": row.id, "email": email, "email_key": email_key})
        connection.execute(_fill, values)
        last = rows[-1].id


def upgrade():
    op.create_table(
        "site_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_state")),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.alter_column("author_email", existing_type=sa.String(length=100), type_=sa.Text())

    connection = op.get_bind()
    ring = keys.keyring()
    index_key = keys.new_index_key(connection, ring)
    _rewrite(
        connection,
        lambda email: (ring.encrypt(email) if email else "", keys.blind_index(index_key, email)),
    )


def downgrade():
    connection = op.get_bind()
    ring = keys.keyring()
    _rewrite(connection, lambda token: (email := ring.decrypt(token) if token else "", normalise.email_key(email)))
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.alter_column("author_email", existing_type=sa.Text(), type_=sa.String(length=100))
    op.drop_table("site_state")
