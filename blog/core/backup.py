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

from blog.core.database import begin_write
from blog.core.extensions import db

FORMAT = "blog-backup/1"


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


def dump(stream) -> dict[str, int]:
    """Write every table's rows to ``stream``; return the row count of each table."""
    counts = {}
    tables = db.metadata.sorted_tables
    stream.write(json.dumps({"format": FORMAT, "tables": [t.name for t in tables]}) + "\n")
    with db.engine.connect() as conn:
        for table in tables:
            n = 0
            for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings():
                stream.write(json.dumps({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}}) + "\n")
                n += 1
            counts[table.name] = n
    return counts


def load(stream) -> dict[str, int]:
    """Restore a backup into an empty, upgraded database, in one transaction; return the counts."""
    header = json.loads(stream.readline())
    if header.get("format") != FORMAT:
        raise click.ClickException("not a blog backup (the first line names no blog-backup format)")
    tables = {t.name: t for t in db.metadata.sorted_tables}
    begin_write()
    session = db.session
    for table in tables.values():
        if session.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            session.rollback()
            raise click.ClickException(
                f"the database is not empty (table {table.name} has rows); "
                "restore into a new database after `flask db upgrade`"
            )
    counts = dict.fromkeys(tables, 0)
    batch, batch_table = [], None
    for line in stream:
        item = json.loads(line)
        if item["t"] != batch_table and batch:
            session.execute(tables[batch_table].insert(), batch)
            batch = []
        batch_table = item["t"]
        batch.append(_decode_row(tables[batch_table], item["r"]))
        counts[batch_table] += 1
    if batch:
        session.execute(tables[batch_table].insert(), batch)
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
