"""Settings: defaults here, then the environment (``FLASK_*``, ``DATABASE_URL``, ``SECRET_KEY``)."""

import os
import secrets
from pathlib import Path

DEFAULTS = {
    # SPEC §7: the blog's own settings, overridable as FLASK_<NAME>.
    "COMMENT_MODERATION": "all",
    "COMMENT_FLOOD_SECONDS": 15,
    "COMMENT_MAX_LINKS": 2,
    "COMMENT_MODERATION_KEYS": "",
    "COMMENT_DISALLOWED_KEYS": "",
    "COMMENT_CHECK_DELIVERABILITY": False,
    "COMMENT_PENDING_LINK_HOURS": 24 * 7,
    "COMMENTS_PER_PAGE": 50,
    "THREAD_DEPTH": 5,
    "CLOSE_COMMENTS_DAYS": 0,
    "CONTENT_DIR": "content",
    "MAX_ARTICLE_BYTES": 2 * 1024 * 1024,  # a larger article file is refused before it is read
    "TRUSTED_PROXIES": 0,
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_FROM": None,
    "MODERATOR_EMAILS": "",
    "MAIL_TIMEOUT": 5,
    "RETENTION_DAYS": 30,
    "SITE_NAME": "Field Notes",
    "SITE_DESCRIPTION": "Essays on diplomacy, places and the craft of writing for the web.",
    "SITE_AUTHOR": "The Editors",
    "ARTICLES_PER_PAGE": 10,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_PARTS": 200,
    # Cookies: HttpOnly and SameSite=Lax always; Secure outside debug (SPEC §6).
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "blog_session",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "WTF_CSRF_TIME_LIMIT": 3600 * 12,
    "SEND_FILE_MAX_AGE_DEFAULT": 3600,
}


def load(app, test_config=None):
    """Fill ``app.config`` from the defaults, the environment and, in tests, ``test_config``."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()  # FLASK_COMMENT_MODERATION=none → COMMENT_MODERATION
    if test_config:
        app.config.from_mapping(test_config)

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
        secret = kept_secret(instance)
    if not secret:
        if not (app.debug or app.testing):
            raise RuntimeError(
                "SECRET_KEY is not set. Set it in the environment (for example "
                "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')), "
                "or run with FLASK_DEBUG=1 for a local key kept in the instance folder."
            )
        secret = _instance_secret(instance)
    app.config["SECRET_KEY"] = secret

    secure = not (app.debug or app.testing)
    # Flask's own defaults hold SESSION_COOKIE_SECURE=False, so a setdefault here would never apply.
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in (test_config or {}) and f"FLASK_{key}" not in os.environ:
            app.config[key] = secure
    # Relative to where the command runs, as a blogger expects of `FLASK_CONTENT_DIR=posts`.
    app.config["CONTENT_DIR"] = os.path.abspath(app.config["CONTENT_DIR"])


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the URL came in."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def kept_secret(instance: Path) -> str | None:
    """Return the secret key a local run keeps in the instance folder, if there is one."""
    path = instance / "secret_key"
    return path.read_text().strip() if path.is_file() else None


def _instance_secret(instance: Path) -> str:
    """Return the local run's secret key, generating and keeping it on first use."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def lines(value) -> list[str]:
    """Split a newline-separated setting into its non-empty, stripped lines."""
    if not value:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [line.strip() for line in str(value).splitlines() if line.strip()]
