"""Commenters' emails at rest: encrypted under FLASK_DATA_KEY, found through a keyed blind index (SPEC §10).

In: the data keys (``DATA_KEY``, checked once by settings.py: Fernet keys, newest first). Out: ``encrypt`` and
``decrypt`` for the email column (``models.EncryptedText``), ``email_index`` for every lookup by address,
the start-up check that the keys open what is stored, and ``flask keys rotate``.

The blind index is HMAC-SHA256 of the normalised address (``normalise.email_key``) under a key of its own:
32 random bytes made once per database, stored in ``site_state`` wrapped (encrypted) under the data keys.
A dump without the data key holds neither the addresses nor a way to test a guess against the index. The
index key never changes: rotation re-wraps it with the emails, so the index of every stored comment stays
valid while comments are posted during a rotation.
"""

import base64
import hashlib
import hmac
import secrets

import click
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from flask.cli import AppGroup

from blog.core import normalise
from blog.core.settings import SettingsError

INDEX_KEY = "email_index_key"  # its row in site_state
BATCH = 500

keys_cli = AppGroup("keys", help="Look after the keys that encrypt commenters' emails.")

# The table is the model's (models.SiteState); named here so that this module needs no models.
_state = sa.table("site_state", sa.column("name", sa.String), sa.column("value", sa.Text))


class Keyring:
    """The data keys of one app, and the blind-index key once it has been read from the database."""

    def __init__(self, keys: tuple[str, ...]):
        self.fernet = MultiFernet([Fernet(key) for key in keys])
        self.newest = Fernet(keys[0])
        self._index_key: bytes | None = None

    def encrypt(self, text: str) -> str:
        return self.fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self.fernet.decrypt(token.encode()).decode()

    def index_key(self) -> bytes:
        """Return the blind-index key, read (and unwrapped) once per process."""
        if self._index_key is None:
            with current_app.extensions["sqlalchemy"].engine.connect() as connection:
                wrapped = connection.execute(sa.select(_state.c.value).where(_state.c.name == INDEX_KEY)).scalar()
            if wrapped is None:
                raise RuntimeError("the database holds no email index key: run `flask --app blog db upgrade`")
            self._index_key = self.unwrap(wrapped)
        return self._index_key

    def reset(self, index_key: bytes) -> None:
        """Use this index key from now on (a restored backup's)."""
        self._index_key = index_key

    def unwrap(self, wrapped: str) -> bytes:
        """:raise SettingsError: when no data key opens the stored index key (a wrong FLASK_DATA_KEY)."""
        try:
            return base64.urlsafe_b64decode(self.fernet.decrypt(wrapped.encode()))
        except InvalidToken:
            raise SettingsError(
                "FLASK_DATA_KEY does not open the commenters' data in this database: none of its keys is the one "
                "the data was encrypted with. Give the key (or keys) the database was written with, newest first."
            ) from None


def keyring() -> Keyring:
    return current_app.extensions["blog.keys"]


def encrypt(text: str) -> str:
    """Encrypt an email for storage under the newest data key; an empty one stays empty."""
    return keyring().encrypt(text) if text else ""


def decrypt(token: str) -> str:
    """Return a stored email in clear, with whichever data key opens it."""
    return keyring().decrypt(token) if token else ""


def email_index(email: str) -> str:
    """Return the blind index of an email (hex): what every lookup by address compares; "" for none.

    Letter case and surrounding spaces are dropped first, so every rule and every privacy request finds
    an address however it was typed.
    """
    return blind_index(keyring().index_key(), email) if email else ""


def blind_index(index_key: bytes, email: str) -> str:
    """Return HMAC-SHA256 of the normalised email under ``index_key``, in hex; "" for no email."""
    normalised = normalise.email_key(email)
    if not normalised:
        return ""
    return hmac.new(index_key, normalised.encode(), hashlib.sha256).hexdigest()


def new_index_key(connection, ring: Keyring) -> bytes:
    """Store a fresh blind-index key, wrapped under the newest data key (a new database's first one); return it."""
    key = secrets.token_bytes(32)
    wrapped = ring.encrypt(base64.urlsafe_b64encode(key).decode())
    connection.execute(sa.insert(_state).values(name=INDEX_KEY, value=wrapped))
    return key


def check(app) -> None:
    """Refuse to start when the data keys do not open the database's index key; read it while at it.

    A database without the table yet (before ``db upgrade``) or out of reach is not checked here: the
    first lookup reads the key, and refuses the same way.

    :raise SettingsError: a wrong FLASK_DATA_KEY.
    """
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        try:
            with engine.connect() as connection:
                wrapped = connection.execute(sa.select(_state.c.value).where(_state.c.name == INDEX_KEY)).scalar()
        except sa.exc.DBAPIError:  # no such table yet, or no database: nothing stored to check
            return
        finally:
            engine.dispose()  # the app may go no further, or a worker forks from here: keep no connection
    if wrapped is not None:
        ring = app.extensions["blog.keys"]
        ring.reset(ring.unwrap(wrapped))


def rotate(connection, ring: Keyring, table, column: str) -> int:
    """Re-encrypt every value of ``table.column`` under the newest key, in batches; return how many.

    Each batch is its own transaction, and a row changed meanwhile (erased, edited, posted under the
    newest key already) is left as that change made it, so the command can be interrupted and run again.
    """
    col, done, last = table.c[column], 0, 0
    while True:
        with connection.begin():
            rows = connection.execute(
                sa.select(table.c.id, col).where(table.c.id > last, col != "").order_by(table.c.id).limit(BATCH)
            ).all()
            for row_id, token in rows:
                fresh = ring.fernet.rotate(token.encode()).decode()
                connection.execute(sa.update(table).where(table.c.id == row_id, col == token).values({column: fresh}))
        if not rows:
            return done
        done += len(rows)
        last = rows[-1][0]


@keys_cli.command("rotate")
def rotate_command():
    """Re-encrypt every stored email under the first key of FLASK_DATA_KEY.

    Put the new key first (FLASK_DATA_KEY=new,old) where the site runs and here, run this, then drop the old key.
    """
    ring = keyring()
    ring.index_key()  # a wrong key stops here, before anything is written
    comment = sa.table("comment", sa.column("id", sa.Integer), sa.column("author_email", sa.Text))
    engine = current_app.extensions["sqlalchemy"].engine
    with engine.connect() as connection:
        connection.execution_options(write=True)  # BEGIN IMMEDIATE on SQLite: each batch reads, then writes
        with connection.begin():
            wrapped = connection.execute(sa.select(_state.c.value).where(_state.c.name == INDEX_KEY)).scalar_one()
            connection.execute(
                sa.update(_state)
                .where(_state.c.name == INDEX_KEY)
                .values(value=ring.fernet.rotate(wrapped.encode()).decode())
            )
        count = rotate(connection, ring, comment, "author_email")
        left = stale(connection, ring.newest, comment, "author_email")
    click.echo(f"Re-encrypted {count} email{'' if count == 1 else 's'} and the index key under the first key.")
    if left:
        raise click.ClickException(f"{left} emails are still under an older key; run `keys rotate` again")


def stale(connection, newest: Fernet, table, column: str) -> int:
    """Count the values the newest key alone cannot open."""
    col, left = table.c[column], 0
    for (token,) in connection.execute(sa.select(col).where(col != "")):
        try:
            newest.decrypt(token.encode())
        except InvalidToken:
            left += 1
    return left


def init_app(app) -> None:
    app.extensions["blog.keys"] = Keyring(app.config["DATA_KEY"])
    check(app)
    app.cli.add_command(keys_cli)
