"""Signing out ends sessions on the server: a session or remember-me cookie kept from before sign-out, a
password change or `moderator sign-out-everywhere` opens nothing afterwards, in any browser."""

import pytest
import sqlalchemy as sa
from flask_login import encode_cookie
from flask_migrate import downgrade, upgrade

from blog import create_app
from blog.core.extensions import db
from blog.core.models import Moderator
from blog.moderation import accounts
from scripts.live import form_token
from tests.actions import login
from tests.factories import PASSWORD, make_moderator
from tests.test_migrations import MIGRATIONS

pytestmark = pytest.mark.usefixtures("fast_hashing")


def signed_in(app):
    """A browser signed in as the moderator."""
    browser = app.test_client()
    assert login(browser).status_code == 303
    assert browser.get("/admin/comments").status_code == 200
    return browser


def session_cookie(app, browser) -> str:
    return browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def remember_cookie(app) -> str:
    """A remember-me cookie for the moderator, as Flask-Login would issue it now."""
    with app.test_request_context():
        moderator = db.session.scalar(db.select(Moderator).where(Moderator.username == "mod"))
        return encode_cookie(moderator.get_id())


def replay(app, name, value):
    """A new browser holding only the kept cookie."""
    thief = app.test_client()
    thief.set_cookie(name, value)
    return thief


def assert_refused(app, browser, comment_id):
    page = browser.get("/admin/comments?status=all")
    assert page.status_code == 302 and page.location.startswith("/admin/login")
    token = form_token(app.test_client().get("/admin/login").text)
    assert browser.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": token}).status_code == 401


def sign_out(browser):
    token = form_token(browser.get("/admin/comments").text)
    assert browser.post("/admin/logout", data={"csrf_token": token}).status_code == 303


def set_password(runner):
    result = runner.invoke(args=["moderator", "set-password", "mod", "--password-stdin"], input="another passphrase\n")
    assert result.exit_code == 0, result.output
    assert result.output == "Password changed for 'mod'; every session of theirs is signed out.\n"


def sign_out_everywhere(runner):
    result = runner.invoke(args=["moderator", "sign-out-everywhere", "mod"])
    assert result.exit_code == 0, result.output
    assert result.output == "Signed out every session of 'mod'.\n"


@pytest.mark.parametrize(
    "revoke",
    [
        pytest.param(lambda runner, browser: sign_out(browser), id="logout"),
        pytest.param(lambda runner, browser: set_password(runner), id="set-password"),
        pytest.param(lambda runner, browser: sign_out_everywhere(runner), id="sign-out-everywhere"),
    ],
)
def test_kept_cookies_open_nothing_after_revocation(app, runner, comment_id, revoke):
    browser = signed_in(app)
    kept_session = session_cookie(app, browser)
    kept_remember = remember_cookie(app)
    second_browser = signed_in(app)
    # Before: each kept cookie alone opens the queue (so the refusals below are the revocation's doing).
    assert replay(app, app.config["SESSION_COOKIE_NAME"], kept_session).get("/admin/comments").status_code == 200
    assert replay(app, app.config["REMEMBER_COOKIE_NAME"], kept_remember).get("/admin/comments").status_code == 200

    revoke(runner, browser)

    assert_refused(app, replay(app, app.config["SESSION_COOKIE_NAME"], kept_session), comment_id)
    assert_refused(app, replay(app, app.config["REMEMBER_COOKIE_NAME"], kept_remember), comment_id)
    assert_refused(app, second_browser, comment_id)
    assert_refused(app, browser, comment_id)


def test_signing_in_again_after_revocation_works(app, runner, comment_id):
    browser = signed_in(app)
    sign_out_everywhere(runner)
    assert_refused(app, browser, comment_id)
    assert login(browser).status_code == 303
    assert browser.get("/admin/comments").status_code == 200


def test_signing_in_elsewhere_keeps_the_first_session(app, comment_id):
    first = signed_in(app)
    signed_in(app)
    assert first.get("/admin/comments").status_code == 200


def test_revocation_ends_only_that_moderators_sessions(app, runner, comment_id):
    with app.app_context():
        make_moderator("other", email="other@example.org")
    other = app.test_client()
    assert login(other, "other").status_code == 303
    browser = signed_in(app)
    sign_out_everywhere(runner)
    assert_refused(app, browser, comment_id)
    assert other.get("/admin/comments").status_code == 200


def test_sign_out_everywhere_for_nobody(runner):
    result = runner.invoke(args=["moderator", "sign-out-everywhere", "ghost"])
    assert result.exit_code == 1
    assert "There is no moderator named 'ghost'." in result.output


def test_a_session_from_before_the_upgrade_is_refused(app, comment_id):
    """A cookie that names the moderator by id alone (as sessions did before they could be revoked)."""
    with app.app_context():
        moderator_id = db.session.scalar(db.select(Moderator.id).where(Moderator.username == "mod"))
    with app.test_request_context():
        old_style = encode_cookie(str(moderator_id))
    assert_refused(app, replay(app, app.config["REMEMBER_COOKIE_NAME"], old_style), comment_id)


def test_the_password_still_signs_in_after_set_password(app, runner, comment_id):
    set_password(runner)
    assert login(app.test_client(), password=PASSWORD).status_code == 200
    assert login(app.test_client(), password="another passphrase").status_code == 303


def test_the_migration_gives_each_existing_moderator_a_token_of_their_own(app_config):
    """Moderators made before sessions could be ended get distinct random tokens, and can sign in."""
    app = create_app(app_config)
    try:
        with app.app_context():
            upgrade(directory=MIGRATIONS, revision="0002_duplicate_check_indexes")
            with db.engine.begin() as conn:
                for name in ("ann", "bob"):
                    conn.execute(
                        sa.text(
                            "INSERT INTO moderator (username, password_hash, email, created_at)"
                            " VALUES (:name, :hash, '', CURRENT_TIMESTAMP)"
                        ),
                        {"name": name, "hash": accounts.hash_password(PASSWORD)},
                    )
            upgrade(directory=MIGRATIONS)
            tokens = db.session.scalars(sa.select(Moderator.session_token)).all()
            assert len(set(tokens)) == 2 and all(len(token) >= 32 for token in tokens)
            db.session.remove()
        assert login(app.test_client(), "ann").status_code == 303
    finally:
        with app.app_context():
            db.session.remove()
            downgrade(directory=MIGRATIONS, revision="base")
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.engine.dispose()
