"""Settings: defaults here, then the environment (``FLASK_*``, ``DATABASE_URL``, ``SECRET_KEY``).

The blog's own settings are declared once, as data, in ``SETTINGS``: each has its default, the parser
that turns what was given (a string from the environment, JSON-decoded when it can be, or a Python
value from ``test_config``) into a typed value, and what it means. ``load`` checks them all at start-up,
so no caller converts a value again, and refuses to start with one line for each bad setting.
"""

import base64
import binascii
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

import click
from email_validator import validate_email
from flask import Config

from blog.core import instance_keys


class SettingsError(click.ClickException, ValueError):
    """One or more settings are wrong; the message is one line for each.

    A ``click.ClickException`` so that ``flask`` commands print the lines without a traceback.
    """


# Each parser returns the typed value or raises ValueError with what the setting must be.


def whole(low: int, high: int) -> Callable:
    """Parse a whole number from ``low`` to ``high``, given as a number or as text."""
    expected = f"a whole number from {low} to {high}"

    def parse(value) -> int:
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(expected)
        return value

    return parse


def number(low: float, high: float) -> Callable:
    """Parse a number (fractions allowed) from ``low`` to ``high``."""
    expected = f"a number from {low:g} to {high:g}"

    def parse(value) -> float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ValueError(expected) from None
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ValueError(expected)
        return float(value)

    return parse


_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


def boolean(value) -> bool:
    """Parse true/false, yes/no or 1/0 (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value).strip().lower() in _TRUE + _FALSE:
        return str(value).strip().lower() in _TRUE
    raise ValueError("true or false (or yes/no, 1/0)")


def one_of(*choices: str) -> Callable:
    """Parse one of ``choices``, ignoring case and surrounding spaces."""

    def parse(value) -> str:
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        raise ValueError("one of " + ", ".join(choices))

    return parse


def _text_of(value, expected: str) -> str:
    # The environment's JSON decoding turns FLASK_SITE_NAME=1984 into a number: it is still text.
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(expected)


def text(value) -> str:
    """Parse non-empty text."""
    value = _text_of(value, "some text")
    if not value:
        raise ValueError("some text")
    return value


def optional_text(value) -> str | None:
    """Parse text, or nothing (unset, empty): None."""
    if value is None:
        return None
    return _text_of(value, "some text or unset") or None


def directory(value) -> str:
    """Parse a folder, relative to where the command runs, as a blogger expects of ``FLASK_CONTENT_DIR=posts``."""
    try:
        return os.path.abspath(text(value))
    except ValueError:
        raise ValueError("a folder") from None


def lines_of(value) -> tuple[str, ...]:
    """Parse newline-separated text (or a list) into its non-empty, stripped lines."""
    if isinstance(value, list | tuple):
        value = "\n".join(_text_of(item, "text, one entry per line") for item in value)
    text = _text_of("" if value is None else value, "text, one entry per line")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _check_address(value: str) -> None:
    validate_email(value, check_deliverability=False)  # no DNS look-ups at start-up


def addresses(value) -> tuple[str, ...]:
    """Parse email addresses, one per line or comma-separated (or a list)."""
    expected = "email addresses, one per line or comma-separated"
    try:
        if isinstance(value, list | tuple):
            value = "\n".join(_text_of(item, expected) for item in value)
        given = tuple(
            item.strip()
            for item in re.split(r"[,\n]", _text_of("" if value is None else value, expected))
            if item.strip()
        )
        for address in given:
            _check_address(address)
    except ValueError:  # EmailNotValidError is one
        raise ValueError(expected) from None
    return given


def fernet_keys(value) -> tuple[str, ...] | None:
    """Parse one or more Fernet keys (URL-safe base64 of 32 bytes), comma-separated, newest first; or unset."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    expected = "one or more Fernet keys (URL-safe base64 of 32 random bytes), comma-separated, newest first"
    if not isinstance(value, str | list | tuple):
        raise ValueError(expected)
    keys = tuple(k.strip() for k in (value.split(",") if isinstance(value, str) else value) if str(k).strip())
    for key in keys:
        try:
            if len(base64.urlsafe_b64decode(key.encode("ascii"))) != 32:
                raise ValueError(expected)
        except (ValueError, UnicodeEncodeError, binascii.Error):
            raise ValueError(expected) from None
    return keys


def optional_address(value) -> str | None:
    """Parse one email address, bare or as ``Name <address>``, or nothing."""
    try:
        given = optional_text(value)
        if given is not None:
            _check_address(parseaddr(given)[1])
    except ValueError:
        raise ValueError("an email address (or Name <address>), or unset") from None
    return given


@dataclass(frozen=True)
class Setting:
    name: str  # set as FLASK_<name> in the environment
    default: object
    parse: Callable
    meaning: str
    secret: bool = False  # its value is never repeated in a message


SETTINGS = (
    # SPEC §7 and §8: the blog's own settings.
    Setting("COMMENT_MODERATION", "all", one_of("all", "previously-approved", "none"), "which comments are held"),
    Setting("COMMENT_FLOOD_SECONDS", 15, whole(0, 86400), "least time between two comments; 0 off"),
    Setting("COMMENT_MAX_LINKS", 2, whole(0, 1000), "this many links or more holds a comment; 0 off"),
    Setting(
        "SPAM_THRESHOLD", 0.92, number(0.5, 1), "a spam score this high or higher sends a comment to Spam; 1 never"
    ),
    Setting("COMMENT_MODERATION_KEYS", "", lines_of, "words, emails or IPs that hold a comment"),
    Setting("COMMENT_DISALLOWED_KEYS", "", lines_of, "words, emails or IPs that trash a comment"),
    Setting("COMMENT_CHECK_DELIVERABILITY", False, boolean, "look up the commenter's mail domain in DNS"),
    Setting("COMMENT_PENDING_LINK_HOURS", 24 * 7, whole(1, 24 * 366), "how long a held comment's link shows it"),
    Setting("COMMENT_EDIT_MINUTES", 15, whole(0, 1440), "how long a commenter's browser may edit its comment; 0 never"),
    Setting("COMMENTS_PER_PAGE", 50, whole(1, 1000), "top-level threads per comment page"),
    Setting("THREAD_DEPTH", 5, whole(1, 10), "deepest reply level shown"),
    Setting("CLOSE_COMMENTS_DAYS", 0, whole(0, 36500), "close comments on older articles; 0 never"),
    Setting("CONTENT_DIR", "content", directory, "where the Markdown articles are"),
    Setting("TRUSTED_PROXIES", 0, whole(0, 10), "how many proxies' X-Forwarded-For to trust"),
    Setting("MAIL_SERVER", None, optional_text, "SMTP host for moderator notices; unset: none sent"),
    Setting("MAIL_PORT", 25, whole(1, 65535), "SMTP port"),
    Setting("MAIL_FROM", None, optional_address, "sender of moderator notices"),
    Setting("MODERATOR_EMAILS", "", addresses, "who is told of held comments"),
    Setting("MAIL_TIMEOUT", 5, number(0.1, 300), "seconds to wait for the SMTP server"),
    Setting("RETENTION_DAYS", 30, whole(1, 3650), "spam and trash older than this are purged"),
    Setting("IP_RETENTION_DAYS", 60, whole(1, 3650), "approved comments' IPs are cut short after this"),
    # SPEC §10: unset means a key kept in the instance folder (made there for local runs and tests).
    Setting("DATA_KEY", None, fernet_keys, "the keys commenters' emails are encrypted with", secret=True),
    Setting("SITE_NAME", "Field Notes", text, "the site's name"),
    Setting(
        "SITE_DESCRIPTION",
        "Essays on diplomacy, places and the craft of writing for the web.",
        text,
        "the site's one-line description",
    ),
    Setting("SITE_AUTHOR", "The Editors", text, "byline of articles that name no author"),
    Setting("ARTICLES_PER_PAGE", 10, whole(1, 1000), "articles per index page"),
    Setting("LOGIN_MAX_FAILURES", 5, whole(1, 1000), "failed sign-ins from one address before a pause"),
    Setting(
        "LOGIN_MAX_FAILURES_PER_NAME",
        100,
        whole(1, 100000),
        "failed sign-ins for one name, from all addresses together, before that name pauses",
    ),
    Setting("LOGIN_WINDOW_SECONDS", 15 * 60, whole(1, 86400), "the window failed sign-ins are counted in"),
    Setting("MAX_ARTICLE_BYTES", 2 * 1024 * 1024, whole(1, 100 * 1024 * 1024), "largest article file published"),
)

DEFAULTS = {setting.name: setting.default for setting in SETTINGS} | {
    # Flask's and its extensions' own settings, kept as they are.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_PARTS": 200,
    # Cookies: HttpOnly and SameSite=Lax always; Secure outside debug (SPEC §6).
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "blog_session",
    "REMEMBER_COOKIE_NAME": "remember_token",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "WTF_CSRF_TIME_LIMIT": 3600 * 12,
    "SEND_FILE_MAX_AGE_DEFAULT": 3600,
}


def load(app, test_config=None):
    """Fill ``app.config`` from the defaults, the environment and, in tests, ``test_config``.

    :raise SettingsError: if any of the blog's own settings is wrong, naming each.
    """
    gather(app.config, test_config)
    app.config.update(checked(app.config, test_config or {}))

    instance = Path(app.instance_path)
    if "SQLALCHEMY_DATABASE_URI" not in app.config or not app.config["SQLALCHEMY_DATABASE_URI"]:
        url = app.config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
        if not url:
            instance.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{instance / 'blog.sqlite3'}"
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)

    secret = app.config.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        # A local run made one (`make serve`); commands run beside it (`moderator create`) share it.
        secret = instance_keys.kept_secret(instance)
    if not secret:
        if not (app.debug or app.testing):
            raise SettingsError(
                "SECRET_KEY is not set. Set it in the environment (for example "
                "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')), "
                "or run with FLASK_DEBUG=1 for a local key kept in the instance folder."
            )
        secret = instance_keys.instance_secret(instance)
    app.config["SECRET_KEY"] = secret
    if not app.config["DATA_KEY"]:
        if not (app.debug or app.testing):
            app.logger.warning(instance_keys.NO_DATA_KEY, instance / "data_key")
        app.config["DATA_KEY"] = fernet_keys(instance_keys.data_key(instance))

    secure = not (app.debug or app.testing)
    # Flask's own defaults hold SESSION_COOKIE_SECURE=False, so a setdefault here would never apply.
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in (test_config or {}) and f"FLASK_{key}" not in os.environ:
            app.config[key] = secure


def gather(config, test_config=None) -> None:
    """Fill ``config`` with the defaults, then the environment, then ``test_config``, still unchecked."""
    config.from_mapping(DEFAULTS)
    config.from_prefixed_env()  # FLASK_COMMENT_MODERATION=none → COMMENT_MODERATION
    if test_config:
        config.from_mapping(test_config)


def check_environment() -> None:
    """Check the settings the environment gives, before any app is made (a server's start-up).

    :raise SettingsError: as ``load`` would, one line for each bad setting.
    """
    config = Config(os.getcwd())
    gather(config)
    checked(config, {})


def checked(config, given) -> dict:
    """Return the blog's settings typed, or raise SettingsError with one line per bad one.

    ``given`` is the test_config; a value not in it came from the environment (shown as it was
    written there) or from the defaults.
    """
    typed, problems = {}, []
    for setting in SETTINGS:
        value = config[setting.name]
        try:
            typed[setting.name] = setting.parse(value)
        except ValueError as expected:
            written = os.environ.get(f"FLASK_{setting.name}") if setting.name not in given else None
            shown = str(value) if written is None else written
            if setting.secret:
                problems.append(f"FLASK_{setting.name} must be {expected} (the value given is not shown)")
            else:
                problems.append(f"FLASK_{setting.name} must be {expected}, not {shown!r}")
    if problems:
        raise SettingsError("\n".join(problems))
    return typed


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the URL came in."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
