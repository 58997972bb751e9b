"""Moderator accounts: the password rules, creating one, a new password, ending every session, and the
`moderator` commands that do these from the shell."""

import re
import sys

import click
import sqlalchemy as sa
from argon2 import PasswordHasher
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import Moderator

MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"^[^\s\x00-\x1f\x7f-\x9f]{1,80}$")

# argon2id, memory-hard, with the library's current defaults (RFC 9106's second recommendation). When a
# later argon2-cffi raises the defaults, old hashes are upgraded at the next successful sign-in.
hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_new_password(password: str) -> None:
    """Refuse a password too short to resist guessing.

    :raise ValueError: with the message to show.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")


def _moderator_named(username: str) -> Moderator:
    """Return the moderator of this name, in a write transaction.

    :raise ValueError: for an unknown moderator.
    """
    begin_write()
    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    if moderator is None:
        db.session.rollback()
        raise ValueError(f"There is no moderator named {username!r}.")
    return moderator


def check_new_username(username: str) -> None:
    """Refuse a name that is malformed or taken (asked again in the write transaction that creates it).

    :raise ValueError: with the message to show.
    """
    if not USERNAME.match(username):
        raise ValueError("A username is 1 to 80 characters, without spaces.")
    if db.session.scalar(sa.select(Moderator.id).where(Moderator.username == username)):
        db.session.rollback()
        raise ValueError(f"A moderator named {username!r} already exists.")


def create_moderator(username: str, password: str, email: str = "") -> Moderator:
    """Store a new moderator.

    :raise ValueError: for a bad username, a short password or a name already taken.
    """
    check_new_password(password)
    begin_write()
    check_new_username(username)
    moderator = Moderator(username=username, password_hash=hash_password(password), email=email)
    db.session.add(moderator)
    db.session.commit()
    return moderator


def set_password(username: str, password: str) -> None:
    """Give a moderator a new password.

    :raise ValueError: for an unknown moderator or a short password.
    """
    check_new_password(password)
    moderator = _moderator_named(username)
    moderator.password_hash = hash_password(password)
    # Whoever signed in with the old password is signed out.
    moderator.end_sessions()
    db.session.commit()


def end_sessions(username: str) -> None:
    """End every session of this moderator, in every browser, remember-me cookies included.

    :raise ValueError: for an unknown moderator.
    """
    _moderator_named(username).end_sessions()
    db.session.commit()


# -- commands -------------------------------------------------------------------------------------------

moderator_cli = AppGroup("moderator", help="Manage the moderators who sign in at /admin.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _valid_email(ctx, param, value: str) -> str:
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise click.BadParameter(str(error)) from None


@moderator_cli.command("create")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option(
    "--email",
    default="",
    callback=_valid_email,
    help="The moderator's address, shown on their replies to readers' comments in the admin.",
)
def create_command(username, password_stdin, email):
    """Create a moderator who can sign in at /admin/login."""
    try:
        check_new_username(username)  # before the password is typed twice
        create_moderator(username, _read_password(password_stdin), email)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created moderator {username!r}. Sign in at /admin/login.")


@moderator_cli.command("list")
def list_command():
    """List the moderators."""
    moderators = db.session.scalars(sa.select(Moderator).order_by(Moderator.username)).all()
    if not moderators:
        click.echo("No moderators yet. Create one with: flask --app blog moderator create USERNAME")
    for m in moderators:
        click.echo(f"{m.username}\t{m.email or '-'}\tcreated {m.created_at:%Y-%m-%d}")


@moderator_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def set_password_command(username, password_stdin):
    """Give a moderator a new password."""
    if db.session.scalar(sa.select(Moderator.id).where(Moderator.username == username)) is None:
        raise click.ClickException(f"There is no moderator named {username!r}.")
    password = _read_password(password_stdin)
    try:
        set_password(username, password)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Password changed for {username!r}; every session of theirs is signed out.")


@moderator_cli.command("sign-out-everywhere")
@click.argument("username")
def sign_out_everywhere_command(username):
    """End every session of a moderator, in every browser (a lost laptop, a shared computer)."""
    try:
        end_sessions(username)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Signed out every session of {username!r}.")


def init_app(app):
    app.cli.add_command(moderator_cli)
