"""Moderator accounts: sign-in with throttling, sign-out, and the `moderator` commands."""

import functools
import math
import re
import secrets
import sys
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import click
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.cli import AppGroup
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from blog.core.database import begin_write
from blog.core.extensions import db, login_manager
from blog.core.models import LoginFailure, Moderator, utcnow

bp = Blueprint("auth", __name__, url_prefix="/admin")

MIN_PASSWORD_LENGTH = 10
USERNAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
USERNAME = re.compile(r"^[^\s\x00-\x1f\x7f-\x9f]{1,80}$")

# argon2id, memory-hard, with the library's current defaults (RFC 9106's second recommendation). When a
# later argon2-cffi raises the defaults, old hashes are upgraded at the next successful sign-in.
hasher = PasswordHasher()


@login_manager.user_loader
def load_moderator(user_id: str) -> Moderator | None:
    """Return the moderator a session or remember-me cookie names, unless their sessions were ended since."""
    moderator_id, _, token = user_id.partition(":")
    if not moderator_id.isdigit() or not token:
        return None  # a cookie from before sessions could be ended names the moderator alone
    moderator = db.session.get(Moderator, int(moderator_id))
    if moderator is None or not secrets.compare_digest(moderator.session_token, token):
        return None
    return moderator


class LoginThrottled(Exception):
    """Too many failed sign-ins for this username or address; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return f"Too many failed sign-in attempts. Please try again in {wait_text(self.retry_after)}."


def wait_text(seconds: int) -> str:
    """Say how long to wait, in words: "40 seconds", "1 minute", "15 minutes"."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


# -- the rules: passwords, throttling, where to go after signing in ------------------------------------


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_new_password(password: str) -> None:
    """Refuse a password too short to resist guessing.

    :raise ValueError: with the message to show.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")


@functools.cache
def _dummy_hash() -> str:
    # Checked against when the username is unknown, so that an unknown name takes as long as a wrong
    # password and the timing does not tell which usernames exist.
    return hasher.hash("not a password of anyone")


def _throttle_name(username: str) -> str:
    return username.strip().lower()[:80]


def lockout_remaining(username: str | None, ip: str, now: datetime | None = None, exclude_id: int | None = None) -> int:
    """Return how many seconds this username or address must still wait (0: may try now).

    An address is locked out with LOGIN_MAX_FAILURES failures within the last LOGIN_WINDOW_SECONDS,
    whatever names it tried (so with that many for any one name from there, too). A name is locked out
    from every address only with LOGIN_MAX_FAILURES_PER_NAME failures, far more: names are public (they
    sign replies), and a guesser with a few addresses must not keep the owner out. Either lock lasts
    until enough of those failures age out of the window.
    """
    now = now or utcnow()
    config = current_app.config
    window = timedelta(seconds=int(config["LOGIN_WINDOW_SECONDS"]))
    limits = [(LoginFailure.ip == ip, int(config["LOGIN_MAX_FAILURES"]))]
    if username is not None:
        limits.append((LoginFailure.username == _throttle_name(username), int(config["LOGIN_MAX_FAILURES_PER_NAME"])))
    wait = 0
    for key, limit in limits:
        query = sa.select(LoginFailure.created_at).where(key, LoginFailure.created_at > now - window)
        if exclude_id is not None:
            query = query.where(LoginFailure.id != exclude_id)
        recent = db.session.scalars(query.order_by(LoginFailure.created_at.desc()).limit(limit)).all()
        if len(recent) >= limit:
            # Free again when the limit-th newest failure leaves the window.
            wait = max(wait, math.ceil((recent[-1] + window - now).total_seconds()))
    return wait


def authenticate(username: str, password: str, ip: str) -> Moderator | None:
    """Return the moderator these credentials name, or None; every failure is counted.

    :raise LoginThrottled: when the username or the address has too many recent failures.
    """
    now = utcnow()
    ip = (ip or "")[:45]
    window = timedelta(seconds=int(current_app.config["LOGIN_WINDOW_SECONDS"]))
    begin_write()
    # Failures older than the window count for nothing; dropping them all keeps the table at one window's
    # worth of failures, however many names and addresses a guesser sprays.
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.created_at <= now - window))
    # The attempt is recorded (as a failure) before the password is checked and committed at once, so
    # that concurrent attempts on every worker see each other: the k-th attempt sees at least k-1
    # others, and at most LOGIN_MAX_FAILURES of them get past the check below.
    attempt = LoginFailure(username=_throttle_name(username), ip=ip, created_at=now)
    db.session.add(attempt)
    db.session.commit()
    attempt_id = attempt.id

    wait = lockout_remaining(username, ip, now, exclude_id=attempt_id)
    if wait > 0:
        _forget_attempt(attempt_id)  # refused unchecked, so not a failure: the window does not grow
        raise LoginThrottled(wait)

    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    try:
        hasher.verify(moderator.password_hash if moderator else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None  # the attempt stays on record as a failure
    if moderator is None:
        return None

    begin_write()
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.id == attempt_id))
    if hasher.check_needs_rehash(moderator.password_hash):
        moderator.password_hash = hash_password(password)
    db.session.commit()
    return moderator


def _forget_attempt(attempt_id: int) -> None:
    begin_write()
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.id == attempt_id))
    db.session.commit()


def safe_next(target: str | None, default: str | None = None) -> str | None:
    """Return ``target`` if it is a path on this site, else ``default``.

    Refuses other hosts in every spelling browsers accept: ``http://x``, ``//x``, ``\\\\x``, ``/\\x``
    and the same with tabs or newlines inside (browsers drop them).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


# -- the guard every admin view wears -------------------------------------------------------------------


def moderator_required(view):
    """Let only a signed-in moderator through: pages redirect to sign-in, actions answer 401.

    The check runs before anything else in the view, CSRF included, so an outsider holding a valid
    token (from the sign-in page) is still told 401.
    """

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            if request.method in ("GET", "HEAD"):
                here = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
                return redirect(url_for("auth.login", next=here))
            abort(401)
        return view(*args, **kwargs)

    return guarded


# -- views ----------------------------------------------------------------------------------------------


def _without_controls(value):
    # No username holds a control character (USERNAME), and PostgreSQL refuses NUL even in a query.
    return USERNAME_CONTROL.sub("", value) if isinstance(value, str) else value


class LoginForm(FlaskForm):
    username = StringField(
        "Username",
        filters=[_without_controls],
        validators=[InputRequired("Please enter your username."), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Please enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only the CSRF token: signing out is a POST from our own page."""


def _home() -> str:
    return url_for("admin.comments")


def _throttled(form, error: LoginThrottled):
    response = current_app.make_response((render_template("admin/login.html", form=form, error=error.message), 429))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data, _home()))
        wait = lockout_remaining(None, request.remote_addr or "")
        if wait:
            return _throttled(form, LoginThrottled(wait))
        return render_template("admin/login.html", form=form)

    if not form.validate_on_submit():
        if form.csrf_token.errors:
            form.csrf_token.errors = []
            return render_template(
                "admin/login.html", form=form, error="Your session expired. Please sign in again."
            ), 400
        return render_template("admin/login.html", form=form), 422
    try:
        moderator = authenticate(form.username.data, form.password.data, request.remote_addr or "")
    except LoginThrottled as error:
        return _throttled(form, error)
    if moderator is None:
        return render_template("admin/login.html", form=form, error="Unknown username or incorrect password."), 200
    # A fresh session on sign-in: nothing from before (a token, a message) carries into it.
    session.clear()
    login_user(moderator)
    return redirect(safe_next(form.next.data, _home()), 303)


@bp.post("/logout")
@moderator_required
def logout():
    if not LogoutForm().validate_on_submit():
        abort(400)
    end_sessions(current_user.username)
    logout_user()
    session.clear()
    flash("You are now logged out.", "success")
    return redirect(url_for("auth.login"), 303)


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# -- commands -------------------------------------------------------------------------------------------

moderator_cli = AppGroup("moderator", help="Manage the moderators who sign in at /admin.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def create_moderator(username: str, password: str, email: str = "") -> Moderator:
    """Store a new moderator.

    :raise ValueError: for a bad username, a short password or a name already taken.
    """
    if not USERNAME.match(username):
        raise ValueError("A username is 1 to 80 characters, without spaces.")
    check_new_password(password)
    begin_write()
    if db.session.scalar(sa.select(Moderator.id).where(Moderator.username == username)):
        db.session.rollback()
        raise ValueError(f"A moderator named {username!r} already exists.")
    moderator = Moderator(username=username, password_hash=hash_password(password), email=email)
    db.session.add(moderator)
    db.session.commit()
    return moderator


def set_password(username: str, password: str) -> None:
    """Give a moderator a new password.

    :raise ValueError: for an unknown moderator or a short password.
    """
    check_new_password(password)
    begin_write()
    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    if moderator is None:
        db.session.rollback()
        raise ValueError(f"There is no moderator named {username!r}.")
    moderator.password_hash = hash_password(password)
    # Whoever signed in with the old password is signed out.
    moderator.end_sessions()
    db.session.commit()


def end_sessions(username: str) -> None:
    """End every session of this moderator, in every browser, remember-me cookies included.

    :raise ValueError: for an unknown moderator.
    """
    begin_write()
    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    if moderator is None:
        db.session.rollback()
        raise ValueError(f"There is no moderator named {username!r}.")
    moderator.end_sessions()
    db.session.commit()


def _valid_email(ctx, param, value: str) -> str:
    if not value:
        return ""
    from email_validator import EmailNotValidError, validate_email

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
    password = _read_password(password_stdin)
    try:
        create_moderator(username, password, email)
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


def _delete_remember_cookie_only_when_sent(response):
    """Replace Flask-Login's bare deletion of the remember-me cookie: only when sent, with its attributes.

    Flask-Login 0.6 deletes it with no Secure, HttpOnly or SameSite whenever strong session protection drops
    a session, which a fresh sign-in page's CSRF-only session trips on every visit, though we never set
    that cookie.
    """
    config = current_app.config
    name = config["REMEMBER_COOKIE_NAME"]
    cookies = response.headers.getlist("Set-Cookie")
    kept = [c for c in cookies if not _deletes(c, name)]
    if len(kept) == len(cookies):
        return response
    response.headers.setlist("Set-Cookie", kept)
    if name in request.cookies:
        response.delete_cookie(
            name,
            domain=config.get("REMEMBER_COOKIE_DOMAIN"),
            path=config.get("REMEMBER_COOKIE_PATH", "/"),
            secure=config["REMEMBER_COOKIE_SECURE"],
            httponly=config["REMEMBER_COOKIE_HTTPONLY"],
            samesite=config["REMEMBER_COOKIE_SAMESITE"],
        )
    return response


def _deletes(set_cookie: str, name: str) -> bool:
    value, *attributes = set_cookie.split(";")
    return value.strip() == f"{name}=" and any(a.strip().lower() == "max-age=0" for a in attributes)


def init_app(app):
    # Registered before Flask-Login's own after_request hook, so that it runs after it (Flask runs them
    # in the reverse order).
    app.after_request(_delete_remember_cookie_only_when_sent)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # A session cookie replayed from another address or browser is dropped, not honoured.
    login_manager.session_protection = "strong"
    # Flask-WTF's session-bound token for the moderators' hand-written forms (the sign-out button).
    app.jinja_env.globals["moderator_csrf_token"] = generate_csrf
    app.cli.add_command(moderator_cli)
