"""The application factory and its settings."""

import pytest

from blog import create_app
from blog.core import instance_keys
from blog.core.settings import SettingsError, normalise_database_url


def test_testing_config(app):
    assert app.testing
    assert not create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).testing


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_uses_psycopg3(url, expected):
    assert normalise_database_url(url) == expected


def test_secret_key_required_outside_debug(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setattr(instance_keys, "kept_secret", lambda instance: None)
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_commands_beside_a_local_run_share_its_kept_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setattr(instance_keys, "kept_secret", lambda instance: "kept-by-make-serve")
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"] == "kept-by-make-serve"


def test_prefixed_settings(monkeypatch):
    monkeypatch.setenv("FLASK_COMMENT_MODERATION", "none")
    monkeypatch.setenv("FLASK_COMMENT_FLOOD_SECONDS", "30")
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["COMMENT_MODERATION"] == "none"
    assert app.config["COMMENT_FLOOD_SECONDS"] == 30


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


def test_security_headers(client):
    headers = client.get("/healthz").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]
