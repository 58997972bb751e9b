"""What the blog holds about one email address, handed over or erased on request (GDPR articles 15 and 17).

In: an address, as the commenter gives it (any letter case, spaces around it). Out: ``export`` (every
comment of that address with its moderation history, as JSON-ready data) and ``erase`` (those comments
anonymised as WordPress's eraser does, in one transaction, with an audit record that does not name the
address). The comments are found through the email's blind index (blog/core/keys.py), never by reading
every address. ``flask --app blog privacy export|erase`` and the admin's Privacy screen both call these.
"""

import json
from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.orm import joinedload, selectinload, undefer

from blog.core import keys
from blog.core.backup import write_private
from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import Comment, Moderator
from blog.core.sanitize import clean_comment
from blog.moderation.actions import record
from blog.reading.versions import touch_article

ANONYMOUS = "Anonymous"
DELETED_TEXT = "This comment was deleted."  # WordPress's words for an erased comment's text

privacy_cli = AppGroup("privacy", help="Hand over or erase what is held about one email address.")


def comments_of(email: str, *, lock: bool = False) -> list[Comment]:
    """Return every comment written under this address (any letter case), oldest first, emails loaded."""
    key = keys.email_index(email)
    if not key:
        return []
    query = (
        sa.select(Comment)
        .where(Comment.author_email_key == key)
        .order_by(Comment.created_at, Comment.id)
        .options(undefer(Comment.author_email), joinedload(Comment.article), selectinload(Comment.events))
    )
    if lock and db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Comment)
    return list(db.session.scalars(query).unique())


def _moment(value) -> str | None:
    return value.isoformat() if value else None


def export(email: str) -> dict:
    """Return everything held about this address: its comments, with their moderation history."""
    return {
        "email": email.strip(),
        "comments": [
            {
                "id": c.id,
                "article": {"slug": c.article.slug, "title": c.article.title},
                "in_reply_to": c.parent_id,
                "name": c.author_name,
                "email": c.author_email,
                "website": c.author_url,
                "ip": c.author_ip,
                "user_agent": c.user_agent,
                "text": c.raw_text,
                "status": c.status.value,
                "reasons": list(c.reasons or []),
                "written": _moment(c.created_at),
                "approved": _moment(c.approved_at),
                "moderation": [
                    {
                        "action": e.action,
                        "from": e.from_status,
                        "to": e.to_status,
                        "detail": e.detail,
                        "by": e.moderator_name,
                        "when": _moment(e.created_at),
                    }
                    for e in c.events
                ],
            }
            for c in comments_of(email)
        ],
    }


@dataclass
class Erased:
    comments: int
    articles: int


def erase(email: str, moderator: Moderator | None = None, *, delete_text: bool = False) -> Erased:
    """Anonymise every comment of this address in one transaction: name "Anonymous", email, website, IP and
    user agent blank, reasons that quote them dropped, the text kept unless ``delete_text``.

    Each comment's audit record says it was erased, by whom, and never the address.
    """
    begin_write()
    found = comments_of(email, lock=True)
    for comment in found:
        personal = [v.casefold() for v in (comment.author_name, comment.author_email, comment.author_ip) if v]
        comment.author_name = ANONYMOUS
        comment.author_email = ""
        comment.author_url = ""
        comment.author_ip = ""
        comment.user_agent = ""
        # A reason can quote the key that matched ("moderation key: ann@example.org").
        comment.reasons = [r for r in comment.reasons or [] if not any(p in r.casefold() for p in personal)]
        if delete_text:
            comment.raw_text = DELETED_TEXT
            comment.html = clean_comment(DELETED_TEXT)
        detail = "personal data erased on request" + (", text deleted" if delete_text else "")
        # No status in the record: Not spam, Restore and the purge read the last move into a status.
        record(comment.id, moderator, "erase", "", "", detail)
        touch_article(comment.article_id)
    articles = len({c.article_id for c in found})
    db.session.commit()
    return Erased(len(found), articles)


def as_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@privacy_cli.command("export")
@click.argument("email")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write here, not to stdout.")
def export_command(email, output):
    """Write everything held about EMAIL as JSON."""
    data = export(email)
    if output:
        # The file holds personal data: created 0600 and written whole, as a backup is.
        write_private(output, lambda stream: stream.write(as_json(data)))
        n = len(data["comments"])
        click.echo(f"Wrote {n} comment{'' if n == 1 else 's'} to {output}.", err=True)
    else:
        click.echo(as_json(data), nl=False)


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--delete-text", is_flag=True, help="Replace the comments' text too.")
def erase_command(email, delete_text):
    """Anonymise every comment written under EMAIL."""
    done = erase(email, delete_text=delete_text)
    click.echo(
        f"Erased the personal data of {done.comments} comment{'' if done.comments == 1 else 's'}"
        f" on {done.articles} article{'' if done.articles == 1 else 's'}."
    )


def init_app(app) -> None:
    app.cli.add_command(privacy_cli)
