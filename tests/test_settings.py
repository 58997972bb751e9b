"""Settings are checked once, at start-up: each becomes a typed value, or the app refuses to start with
one line for each bad setting (issue 12, item 3)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import cli

from blog import create_app
from blog.core.settings import DEFAULTS, SETTINGS, SettingsError

ROOT = Path(__file__).resolve().parent.parent

NEW_KEY, OLD_KEY = "YW5vdGhlci1rZXktb2YtdGhpcnR5LXR3by1ieXRlcyE=", "dGVzdHMtZGF0YS1rZXktMzItYnl0ZXMtbG9uZy0tLS0="

# (setting, value given, the typed value the app keeps)
GOOD = [
    ("COMMENT_MODERATION", " None ", "none"),
    ("COMMENT_MODERATION", "previously-approved", "previously-approved"),
    ("COMMENT_FLOOD_SECONDS", "30", 30),
    ("COMMENT_FLOOD_SECONDS", 0, 0),
    ("COMMENT_MAX_LINKS", 0, 0),  # 0 turns the rule off, as moderation.too_many_links reads it
    ("SPAM_THRESHOLD", "1", 1.0),  # 1: nothing is sent to Spam by its score
    ("COMMENT_MODERATION_KEYS", "casino\n spammer@bad.example \n\n", ("casino", "spammer@bad.example")),
    ("COMMENT_MODERATION_KEYS", ["casino", 198], ("casino", "198")),
    ("COMMENT_DISALLOWED_KEYS", "", ()),
    ("COMMENT_DISALLOWED_KEYS", 12345, ("12345",)),  # FLASK_..._KEYS=12345 arrives JSON-decoded
    ("COMMENT_CHECK_DELIVERABILITY", "yes", True),
    ("COMMENT_CHECK_DELIVERABILITY", "False", False),
    ("COMMENT_CHECK_DELIVERABILITY", 1, True),
    ("COMMENT_PENDING_LINK_HOURS", "48", 48),
    ("COMMENT_EDIT_MINUTES", "0", 0),
    ("COMMENTS_PER_PAGE", 2, 2),
    ("THREAD_DEPTH", 10, 10),
    ("CLOSE_COMMENTS_DAYS", 0, 0),
    ("CONTENT_DIR", "posts", os.path.abspath("posts")),
    ("TRUSTED_PROXIES", 1, 1),
    ("MAIL_SERVER", "smtp.example.org", "smtp.example.org"),
    ("MAIL_SERVER", "", None),
    ("MAIL_PORT", "587", 587),
    ("MAIL_FROM", "Field Notes <blog@example.org>", "Field Notes <blog@example.org>"),
    ("MAIL_FROM", None, None),
    ("MODERATOR_EMAILS", "ann@example.org, bob@example.org", ("ann@example.org", "bob@example.org")),
    ("MODERATOR_EMAILS", "ann@example.org\nbob@example.org\n", ("ann@example.org", "bob@example.org")),
    ("MAIL_TIMEOUT", "2.5", 2.5),
    ("RETENTION_DAYS", 7, 7),
    ("IP_RETENTION_DAYS", "90", 90),
    (
        "DATA_KEY",
        " YW5vdGhlci1rZXktb2YtdGhpcnR5LXR3by1ieXRlcyE= , dGVzdHMtZGF0YS1rZXktMzItYnl0ZXMtbG9uZy0tLS0=",
        ("YW5vdGhlci1rZXktb2YtdGhpcnR5LXR3by1ieXRlcyE=", "dGVzdHMtZGF0YS1rZXktMzItYnl0ZXMtbG9uZy0tLS0="),
    ),  # newest first
    ("SITE_NAME", 1984, "1984"),  # FLASK_SITE_NAME=1984 arrives as a number: it is still a name
    ("SITE_DESCRIPTION", " Notes from the field. ", "Notes from the field."),
    ("SITE_AUTHOR", "Ann Author", "Ann Author"),
    ("ARTICLES_PER_PAGE", "20", 20),
    ("LOGIN_MAX_FAILURES", 3, 3),
    ("LOGIN_MAX_FAILURES_PER_NAME", "250", 250),
    ("LOGIN_WINDOW_SECONDS", 60, 60),
    ("MAX_ARTICLE_BYTES", 1024, 1024),
]

# (setting, bad value, the line that stops start-up)
BAD = [
    ("COMMENT_MODERATION", "some", "must be one of all, previously-approved, none, not 'some'"),
    ("COMMENT_FLOOD_SECONDS", -1, "must be a whole number from 0 to 86400, not '-1'"),
    ("COMMENT_MAX_LINKS", "two", "must be a whole number from 0 to 1000, not 'two'"),
    ("SPAM_THRESHOLD", "0.3", "must be a number from 0.5 to 1, not '0.3'"),
    ("COMMENT_MODERATION_KEYS", True, "must be text, one entry per line, not 'True'"),
    ("COMMENT_DISALLOWED_KEYS", {"casino": 1}, "must be text, one entry per line, not \"{'casino': 1}\""),
    ("COMMENT_CHECK_DELIVERABILITY", "maybe", "must be true or false (or yes/no, 1/0), not 'maybe'"),
    ("COMMENT_PENDING_LINK_HOURS", 0, "must be a whole number from 1 to 8784, not '0'"),
    ("COMMENT_EDIT_MINUTES", "15.5", "must be a whole number from 0 to 1440, not '15.5'"),
    ("COMMENTS_PER_PAGE", 0, "must be a whole number from 1 to 1000, not '0'"),
    ("THREAD_DEPTH", 11, "must be a whole number from 1 to 10, not '11'"),
    ("CLOSE_COMMENTS_DAYS", "7 days", "must be a whole number from 0 to 36500, not '7 days'"),
    ("CONTENT_DIR", " ", "must be a folder, not ' '"),
    ("TRUSTED_PROXIES", 11, "must be a whole number from 0 to 10, not '11'"),
    ("MAIL_SERVER", ["smtp.example.org"], "must be some text or unset, not \"['smtp.example.org']\""),
    ("MAIL_PORT", 70000, "must be a whole number from 1 to 65535, not '70000'"),
    ("MAIL_FROM", "blog", "must be an email address (or Name <address>), or unset, not 'blog'"),
    (
        "MODERATOR_EMAILS",
        "ann@example.org\nnot an address",
        "must be email addresses, one per line or comma-separated, not 'ann@example.org\\nnot an address'",
    ),
    ("MAIL_TIMEOUT", 0, "must be a number from 0.1 to 300, not '0'"),
    ("RETENTION_DAYS", 0, "must be a whole number from 1 to 3650, not '0'"),
    ("IP_RETENTION_DAYS", 0, "must be a whole number from 1 to 3650, not '0'"),
    (
        "DATA_KEY",
        "c2hvcnQ=",  # 5 bytes, and a wrong key is a secret all the same: never repeated
        "must be one or more Fernet keys (URL-safe base64 of 32 random bytes), comma-separated, newest first "
        "(the value given is not shown)",
    ),
    ("SITE_NAME", "  ", "must be some text, not '  '"),
    ("SITE_DESCRIPTION", "", "must be some text, not ''"),
    ("SITE_AUTHOR", None, "must be some text, not 'None'"),
    ("ARTICLES_PER_PAGE", 0, "must be a whole number from 1 to 1000, not '0'"),
    ("LOGIN_MAX_FAILURES", True, "must be a whole number from 1 to 1000, not 'True'"),
    ("LOGIN_MAX_FAILURES_PER_NAME", 0, "must be a whole number from 1 to 100000, not '0'"),
    ("LOGIN_WINDOW_SECONDS", 1.5, "must be a whole number from 1 to 86400, not '1.5'"),
    ("MAX_ARTICLE_BYTES", -1, "must be a whole number from 1 to 104857600, not '-1'"),
]


@pytest.mark.parametrize(("name", "given", "typed"), GOOD)
def test_a_good_value_is_kept_typed(app_config, name, given, typed):
    app = create_app(app_config | {name: given})
    assert app.config[name] == typed
    assert type(app.config[name]) is type(typed)


@pytest.mark.parametrize(("name", "given", "message"), BAD)
def test_a_bad_value_stops_start_up_with_its_message(app_config, name, given, message):
    with pytest.raises(SettingsError) as refused:
        create_app(app_config | {name: given})
    assert str(refused.value) == f"FLASK_{name} {message}"


def test_every_setting_has_a_good_and_a_bad_case():
    declared = {setting.name for setting in SETTINGS}
    assert {name for name, _, _ in GOOD} == declared
    assert {name for name, _, _ in BAD} == declared


def test_the_defaults_are_good_settings(app_config):
    app = create_app({key: value for key, value in app_config.items() if key != "CONTENT_DIR"})
    assert app.config["ARTICLES_PER_PAGE"] == 10
    assert app.config["COMMENTS_PER_PAGE"] == 50
    assert app.config["MAX_ARTICLE_BYTES"] == 2 * 1024 * 1024
    assert app.config["COMMENT_MODERATION_KEYS"] == ()
    assert app.config["CONTENT_DIR"] == os.path.abspath("content")


def test_a_bad_value_from_the_environment_stops_start_up(app_config, monkeypatch):
    monkeypatch.setenv("FLASK_COMMENTS_PER_PAGE", "0")
    with pytest.raises(SettingsError) as refused:
        create_app(app_config)
    assert str(refused.value) == "FLASK_COMMENTS_PER_PAGE must be a whole number from 1 to 1000, not '0'"


def gunicorn(tmp_path, **environ) -> subprocess.CompletedProcess:
    """Start the blog as the README deploys it (gunicorn.conf.py, from the project folder)."""
    env = os.environ | {"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path / 'blog.sqlite3'}"} | environ
    command = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1", "blog:create_app()"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_gunicorn_refuses_a_bad_setting_in_plain_words(tmp_path):
    started = gunicorn(tmp_path, FLASK_COMMENTS_PER_PAGE="0", FLASK_TRUSTED_PROXIES="x")
    assert started.returncode != 0
    assert "FLASK_COMMENTS_PER_PAGE must be a whole number from 1 to 1000, not '0'\n" in started.stderr
    assert "FLASK_TRUSTED_PROXIES must be a whole number from 0 to 10, not 'x'\n" in started.stderr
    assert "Traceback" not in started.stderr


def test_the_environment_value_is_shown_as_it_was_written(app_config, monkeypatch):
    monkeypatch.setenv("FLASK_THREAD_DEPTH", "3.0")  # JSON-decoded to 3.0, a float
    with pytest.raises(SettingsError) as refused:
        create_app(app_config)
    assert str(refused.value) == "FLASK_THREAD_DEPTH must be a whole number from 1 to 10, not '3.0'"


def test_the_environment_gives_typed_values(app_config, monkeypatch):
    monkeypatch.setenv("FLASK_COMMENTS_PER_PAGE", "15")
    monkeypatch.setenv("FLASK_COMMENT_CHECK_DELIVERABILITY", "yes")
    monkeypatch.setenv("FLASK_COMMENT_MODERATION_KEYS", "casino\n198.51.100.")
    monkeypatch.setenv("FLASK_MODERATOR_EMAILS", "ann@example.org,bob@example.org")
    app = create_app(app_config)
    assert app.config["COMMENTS_PER_PAGE"] == 15
    assert app.config["COMMENT_CHECK_DELIVERABILITY"] is True
    assert app.config["COMMENT_MODERATION_KEYS"] == ("casino", "198.51.100.")
    assert app.config["MODERATOR_EMAILS"] == ("ann@example.org", "bob@example.org")


def test_all_bad_settings_are_reported_together(app_config, monkeypatch):
    monkeypatch.setenv("FLASK_COMMENTS_PER_PAGE", "0")
    with pytest.raises(SettingsError) as refused:
        create_app(app_config | {"THREAD_DEPTH": 0, "MAIL_PORT": "smtp"})
    assert str(refused.value).splitlines() == [
        "FLASK_COMMENTS_PER_PAGE must be a whole number from 1 to 1000, not '0'",
        "FLASK_THREAD_DEPTH must be a whole number from 1 to 10, not '0'",
        "FLASK_MAIL_PORT must be a whole number from 1 to 65535, not 'smtp'",
    ]
    assert isinstance(refused.value, ValueError)


def test_test_config_wins_over_the_environment(app_config, monkeypatch):
    monkeypatch.setenv("FLASK_COMMENTS_PER_PAGE", "0")
    assert create_app(app_config | {"COMMENTS_PER_PAGE": 5}).config["COMMENTS_PER_PAGE"] == 5


def test_a_flask_command_shows_the_lines_without_a_traceback(tmp_path):
    env = {
        "FLASK_COMMENTS_PER_PAGE": "0",
        "FLASK_MAIL_PORT": "0",
        "SECRET_KEY": "x",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'blog.sqlite3'}",
    }
    result = CliRunner().invoke(cli, ["--app", "blog", "routes"], env=env)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: FLASK_COMMENTS_PER_PAGE must be a whole number from 1 to 1000, not '0'\n"
        "FLASK_MAIL_PORT must be a whole number from 1 to 65535, not '0'\n"
    )
    assert "Traceback" not in result.output


def test_flask_own_settings_are_left_as_they_are(app_config):
    app = create_app(app_config | {"MAX_CONTENT_LENGTH": None, "SESSION_COOKIE_NAME": "other"})
    assert app.config["MAX_CONTENT_LENGTH"] is None
    assert app.config["SESSION_COOKIE_NAME"] == "other"
    assert "SESSION_COOKIE_NAME" in DEFAULTS


def test_the_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [setting.name for setting in SETTINGS if f"| `FLASK_{setting.name}` |" not in readme]
    assert missing == []
