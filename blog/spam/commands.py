"""``flask spam score|train|retrain``: the filter from the command line (SPEC §11)."""

import json
import random
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import Comment
from blog.core.normalise import text_shape
from blog.core.sanitize import clean_comment
from blog.spam import corpus, model, store

spam_cli = AppGroup("spam", help="Score comments with the spam filter, teach it, rebuild it.")
RETRAIN_BATCH = 500


@spam_cli.command("score")
def score_command():
    """Read JSON lines {"text": ..., "author": ..., "url": ...} and print "spam 0.97" or "ham 0.03" for each."""
    threshold = current_app.config["SPAM_THRESHOLD"]
    with db.engine.connect() as connection:
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                given = json.loads(line)
                text, author, url = (str(given.get(k) or "") for k in ("text", "author", "url"))
            except (ValueError, AttributeError):
                raise click.ClickException(f"line {number}: not a JSON object") from None
            example = store.Example(text, clean_comment(text), author, url, shape=text_shape(text))
            verdict = store.judge(connection, example)
            click.echo(f"{'spam' if verdict.score >= threshold else 'ham'} {verdict.score:.2f}")


@spam_cli.command("train")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def train_command(csv_file: Path):
    """Learn from a CSV file with the columns CONTENT and CLASS (or TAG), 1 = spam."""
    try:
        rows = corpus.read(csv_file)
    except (corpus.CorpusError, UnicodeDecodeError) as error:
        raise click.ClickException(str(error)) from None
    random.Random(1).shuffle(rows)  # one pass of gradient steps learns best from mixed labels
    begin_write()
    taught = store.teach(db.session.connection(), ((r.example, r.is_spam) for r in rows), rate=model.TRAIN_RATE)
    db.session.commit()
    spam = sum(r.is_spam for r in rows)
    click.echo(f"Learnt from {taught} comments ({spam} spam, {taught - spam} ham).")


@spam_cli.command("retrain")
def retrain_command():
    """Start again from the starting model and learn every decision the moderators have taken, oldest first."""
    begin_write()
    connection = db.session.connection()
    store.forget(connection)
    taught, last = 0, 0
    while True:
        comments = db.session.scalars(
            sa.select(Comment)
            .where(Comment.spam_label.is_not(None), Comment.id > last)
            .order_by(Comment.id)
            .limit(RETRAIN_BATCH)
        ).all()
        if not comments:
            break
        taught += store.teach(connection, [(store.Example.of(c), c.spam_label == "spam") for c in comments])
        last = comments[-1].id
    db.session.commit()
    click.echo(f"Retrained from {taught} moderated comment{'' if taught == 1 else 's'}.")


def init_app(app) -> None:
    store.init_app(app)
    app.cli.add_command(spam_cli)
