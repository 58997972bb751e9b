"""`flask backup FILE` and `flask restore FILE`: a portable copy of every table, on any database.

The copy is JSON, one table after another in foreign-key order, so a backup taken from SQLite restores
into PostgreSQL and back. The database's own tools work too (README, "Backup and restore").
"""

import base64
import enum
import json
import os
import tempfile
from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from blog.core import keys
from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import EncryptedText

FORMAT = "blog-backup/2"  # 2: commenters' emails as stored, encrypted (1 held them in clear)
READABLE = (FORMAT, "blog-backup/1")
KEPT = "site_state"  # a new database's own index key; replaced by the backup's (blog/core/keys.py)


def _encode(value):
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _decode_row(table, row: dict) -> dict:
    """Turn a stored row back into the values the table's column types expect."""
    out = {}
    for name, value in row.items():
        value = _decode(value)
        enum_class = getattr(table.c[name].type, "enum_class", None)
        out[name] = enum_class(value) if enum_class and value is not None else value
    return out


def _decode(value):
    if isinstance(value, dict) and "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if isinstance(value, dict) and "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    return value


def _as_stored(table) -> list:
    """The table's columns as the database holds them: encrypted ones stay encrypted."""
    return [sa.type_coerce(c, sa.Text).label(c.name) if isinstance(c.type, EncryptedText) else c for c in table.c]


def _insert_as_stored(table):
    """An insert that writes encrypted columns' values as they come (already encrypted)."""
    encrypted = [c.name for c in table.c if isinstance(c.type, EncryptedText)]
    return table.insert().values({name: sa.bindparam(name, type_=sa.Text) for name in encrypted})


def dump(stream) -> dict[str, int]:
    """Write every table's rows to ``stream``, encrypted columns as stored; return each table's row count."""
    counts = {}
    tables = db.metadata.sorted_tables
    stream.write(json.dumps({"format": FORMAT, "tables": [t.name for t in tables]}) + "\n")
    with db.engine.connect() as conn:
        for table in tables:
            n = 0
            query = sa.select(*_as_stored(table)).order_by(*table.primary_key.columns)
            for row in conn.execute(query).mappings():
                stream.write(json.dumps({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}}) + "\n")
                n += 1
            counts[table.name] = n
    return counts


def load(stream) -> dict[str, int]:
    """Restore a backup into an empty, upgraded database, in one transaction; return the counts.

    A backup of format 2 brings its emails encrypted, with the index key they were indexed under, both
    under the data keys it was taken with, which must be among FLASK_DATA_KEY's. A format 1 backup's
    emails, in clear, are encrypted and indexed as they are restored.
    """
    header = json.loads(stream.readline())
    if header.get("format") not in READABLE:
        raise click.ClickException("not a blog backup (the first line names no blog-backup format)")
    as_stored = header["format"] == FORMAT
    tables = {t.name: t for t in db.metadata.sorted_tables}
    inserts = {name: _insert_as_stored(t) if as_stored else t.insert() for name, t in tables.items()}
    begin_write()
    session = db.session
    for table in tables.values():
        if table.name == KEPT:
            continue
        if session.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            session.rollback()
            raise click.ClickException(
                f"the database is not empty (table {table.name} has rows); "
                "restore into a new database after `flask db upgrade`"
            )
    if as_stored:
        session.execute(tables[KEPT].delete())
    counts = dict.fromkeys(tables, 0)
    batch, batch_table = [], None
    for line in stream:
        item = json.loads(line)
        if item["t"] != batch_table and batch:
            session.execute(inserts[batch_table], batch)
            batch = []
        batch_table = item["t"]
        row = _decode_row(tables[batch_table], item["r"])
        if batch_table == "comment" and not as_stored:
            row["author_email_key"] = keys.email_index(row.get("author_email") or "")
        batch.append(row)
        counts[batch_table] += 1
    if batch:
        session.execute(inserts[batch_table], batch)
    ring = keys.keyring()
    if as_stored:
        wrapped = session.execute(sa.select(tables[KEPT].c.value).where(tables[KEPT].c.name == keys.INDEX_KEY))
        try:
            index_key = ring.unwrap(wrapped.scalar_one())
        except BaseException:
            session.rollback()
            raise
    counts.pop(KEPT, None)
    if db.engine.dialect.name == "postgresql":
        # Inserting explicit ids does not move the sequences; the next comment must not collide.
        for table in tables.values():
            for column in table.primary_key.columns:
                if column.autoincrement and isinstance(column.type, sa.Integer):
                    session.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                            f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                        )
                    )
    session.commit()
    if as_stored:
        ring.reset(index_key)  # this process looks addresses up with the backup's index key from now on
    return counts


def write_private(path: str, write):
    """Call ``write(stream)`` on a new file readable by its owner only, then put it at ``path`` at once.

    A backup holds every email and IP the database does, so it is created 0600 whatever the umask, and
    it replaces an older backup only once complete. Return what ``write`` returns.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".backup-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            result = write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return result


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path):
    """Write a backup of the whole database to PATH (use - for standard output)."""
    if path == "-":
        dump(click.get_text_stream("stdout"))
        return
    counts = write_private(path, dump)
    click.echo(", ".join(f"{n} {t}" for t, n in counts.items()))


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, allow_dash=True))
@with_appcontext
def restore_command(path):
    """Restore a backup from PATH into an empty database (run `flask db upgrade` first)."""
    with click.open_file(path, encoding="utf-8") as stream:
        counts = load(stream)
    click.echo("restored " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    current_app.logger.info("restored a backup from %s", path)


def init_app(app):
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
