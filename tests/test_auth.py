"""Signing in and out: the form, the hashed passwords, the throttle, where `next` may lead."""

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher, Type

from blog.core.extensions import db
from blog.core.models import LoginFailure, Moderator, utcnow
from blog.moderation import accounts, signin
from scripts.live import form_token
from tests.actions import login
from tests.factories import PASSWORD, make_moderator

pytestmark = pytest.mark.usefixtures("fast_hashing")
REAL_HASHER = accounts.hasher  # as the app uses it, before the tests swap in a cheap one


@pytest.fixture
def moderator(app):
    with app.app_context():
        return make_moderator().id


def test_login_page_has_the_form(client):
    page = client.get("/admin/login")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert 'type="password"' in page.text and "Log In" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_login_signs_in_and_goes_to_the_queue(client, moderator):
    response = login(client)
    assert response.status_code == 303
    assert response.location == "/admin/comments"
    assert client.get("/admin/comments").status_code == 200


def test_the_session_cookie_is_httponly_and_samesite_lax(client, moderator):
    cookie = login(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_session_cookie_is_secure_outside_debug(app_config):
    from blog import create_app

    app = create_app({**app_config, "TESTING": False})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("username", "password"), [("mod", "wrong password!"), ("nobody", PASSWORD), ("MOD", PASSWORD)]
)
def test_wrong_credentials_are_refused_alike(client, moderator, username, password):
    response = login(client, username, password)
    assert response.status_code == 200
    assert "Unknown username or incorrect password." in response.text
    assert client.get("/admin/comments").status_code == 302


def test_a_refused_sign_in_focuses_the_error_and_marks_both_fields(client, moderator):
    """As the comment form does: the error is read out first, and each field says it is in error."""
    text = login(client, "mod", "wrong password!").text
    assert re.search(r'<p [^>]*id="login-error" role="alert" tabindex="-1" autofocus>', text)
    for name in ("username", "password"):
        (tag,) = re.findall(rf'<input [^>]*name="{name}"[^>]*>', text)
        assert 'aria-invalid="true"' in tag and 'aria-describedby="login-error"' in tag
    first = client.get("/admin/login").text  # nothing is marked before a try
    assert not re.search(r"<[^>]*(?:aria-invalid|autofocus)", first)  # in a tag: the page's CSS names them


def test_the_login_form_needs_its_token(client, moderator):
    response = client.post("/admin/login", data={"username": "mod", "password": PASSWORD})
    assert response.status_code == 400
    assert "Your session expired" in response.text
    assert client.get("/admin/comments").status_code == 302


def test_passwords_are_stored_as_argon2id(app, moderator):
    with app.app_context():
        stored = db.session.get(Moderator, moderator).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_the_real_hash_is_memory_hard():
    assert REAL_HASHER.type is Type.ID
    assert REAL_HASHER.memory_cost >= 19 * 1024 and REAL_HASHER.time_cost >= 2  # OWASP's floor for argon2id


def test_an_old_hash_is_upgraded_at_sign_in(app, client, moderator):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with app.app_context():
        db.session.get(Moderator, moderator).password_hash = weak.hash(PASSWORD)
        db.session.commit()
    assert login(client).status_code == 303
    with app.app_context():
        stored = db.session.get(Moderator, moderator).password_hash
    assert not accounts.hasher.check_needs_rehash(stored)
    accounts.hasher.verify(stored, PASSWORD)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/comments?status=spam", "/admin/comments?status=spam"),
        ("/a-fine-article/", "/a-fine-article/"),
        ("//evil.example", "/admin/comments"),
        ("http://evil.example/", "/admin/comments"),
        ("https://evil.example/admin/comments", "/admin/comments"),
        ("\\\\evil.example", "/admin/comments"),
        ("/\\evil.example", "/admin/comments"),
        ("/\t/evil.example", "/admin/comments"),
        ("javascript:alert(1)", "/admin/comments"),
        ("admin/comments", "/admin/comments"),
        ("", "/admin/comments"),
    ],
)
def test_next_leads_only_to_our_own_paths(client, moderator, target, expected):
    response = login(client, next=target)
    assert response.status_code == 303
    assert response.location == expected


def test_a_signed_out_page_sends_to_login_and_back(client, moderator):
    response = client.get("/admin/comments?status=spam&q=x")
    assert response.status_code == 302
    assert response.location == "/admin/login?next=/admin/comments?status%3Dspam%26q%3Dx"
    page = client.get(response.location)
    assert 'name="next" type="hidden" value="/admin/comments?status=spam&amp;q=x"' in page.text
    assert login(client, next="/admin/comments?status=spam&q=x").location == "/admin/comments?status=spam&q=x"


def test_a_signed_in_moderator_visiting_login_goes_on(client, moderator):
    login(client)
    assert client.get("/admin/login?next=/admin/comments?status=trash").location == "/admin/comments?status=trash"


def test_logout_is_post_only_and_needs_the_token(client, moderator):
    login(client)
    assert client.get("/admin/logout").status_code == 405
    assert client.get("/admin/comments").status_code == 200
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/comments").status_code == 200

    token = form_token(client.get("/admin/comments").text)
    response = client.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.location == "/admin/login"
    assert "You are now logged out." in client.get("/admin/login").text
    assert client.get("/admin/comments").status_code == 302


def test_logout_signed_out_is_401(client):
    token = form_token(client.get("/admin/login").text)
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 401


def test_a_session_from_another_address_is_dropped(client, moderator):
    login(client)
    assert client.get("/admin/comments").status_code == 200
    elsewhere = client.get("/admin/comments", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert elsewhere.status_code == 302  # strong session protection


def remember_cookies(response, app) -> list[str]:
    name = app.config["REMEMBER_COOKIE_NAME"]
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]


def test_the_remember_cookie_is_deleted_only_when_sent(app, client, moderator):
    client.get("/admin/login")
    again = client.get("/admin/login")  # a session holding only the form's token: strong protection drops it
    assert remember_cookies(again, app) == []
    login(client)
    assert (
        remember_cookies(
            client.post("/admin/logout", data={"csrf_token": form_token(client.get("/admin/comments").text)}), app
        )
        == []
    )


def test_a_sent_remember_cookie_is_deleted_with_its_attributes(app, client, moderator):
    client.set_cookie(app.config["REMEMBER_COOKIE_NAME"], "stale")
    (deletion,) = remember_cookies(client.get("/admin/login"), app)
    assert "Max-Age=0" in deletion and "HttpOnly" in deletion and "SameSite=Lax" in deletion
    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is None


# -- throttling ------------------------------------------------------------------------------------------


def fail_login(client, username="mod", ip="192.0.2.1"):
    return login(client, username, "not the password", environ_base={"REMOTE_ADDR": ip})


def test_failures_from_five_addresses_do_not_lock_the_owner_out(app, client, moderator):
    """Moderator names are public (they sign replies): a guesser must not keep the owner out."""
    assert [fail_login(client, ip=f"192.0.2.{i}").status_code for i in range(5)] == [200] * 5
    assert login(client, environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 303


def test_five_failures_from_one_address_lock_that_address_for_the_name(app, client, moderator):
    assert [fail_login(client, ip="192.0.2.7").status_code for _ in range(5)] == [200] * 5

    locked = login(client, environ_base={"REMOTE_ADDR": "192.0.2.7"})  # right password, same address
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts. Please try again in 15 minutes." in locked.text
    assert 890 <= int(locked.headers["Retry-After"]) <= 900
    assert client.get("/admin/comments").status_code == 302
    with app.app_context():  # a refused attempt is not a failure: the window does not grow
        assert db.session.scalar(db.select(db.func.count(LoginFailure.id))) == 5
    assert login(client, environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 303


def test_the_default_limit_for_a_name_across_addresses_is_far_above_the_one_for_an_address(app):
    assert app.config["LOGIN_MAX_FAILURES_PER_NAME"] == 100
    assert app.config["LOGIN_MAX_FAILURES_PER_NAME"] >= 10 * app.config["LOGIN_MAX_FAILURES"]


@pytest.fixture
def name_limit(app_config):
    app_config.update(LOGIN_MAX_FAILURES_PER_NAME=12)


def test_a_name_failing_from_very_many_addresses_is_locked_everywhere(name_limit, app, client, moderator):
    """A distributed guesser (one try per address) is still stopped, at the limit for the name."""
    with app.app_context():
        make_moderator("other")
    assert [fail_login(client, ip=f"192.0.2.{i}").status_code for i in range(12)] == [200] * 12

    locked = login(client, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts. Please try again in 15 minutes." in locked.text
    assert 890 <= int(locked.headers["Retry-After"]) <= 900
    # Any spelling of the name counts as the name; other names and the sign-in page stay open.
    assert login(client, "MOD", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 429
    assert client.get("/admin/login", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 200
    assert login(client, "other", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 303


def test_five_failures_from_an_address_lock_it_whatever_the_username(client, moderator):
    for i in range(5):
        assert fail_login(client, username=f"guess{i}", ip="203.0.113.5").status_code == 200
    assert login(client, environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 429
    # The login page itself says so to that address...
    page = client.get("/admin/login", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert page.status_code == 429 and "Retry-After" in page.headers
    # ...while the moderator elsewhere signs in.
    assert login(client, environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 303


def test_the_lock_lifts_when_the_failures_leave_the_window(app, client, moderator):
    for _ in range(5):
        fail_login(client)
    with app.app_context():
        for failure in db.session.scalars(db.select(LoginFailure)):
            failure.created_at = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] - 60)
        db.session.commit()
    locked = login(client, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert locked.status_code == 429
    assert "Please try again in 1 minute." in locked.text and 1 <= int(locked.headers["Retry-After"]) <= 60
    with app.app_context():
        for failure in db.session.scalars(db.select(LoginFailure)):
            failure.created_at -= timedelta(seconds=61)
        db.session.commit()
    assert login(client, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 303


def test_a_success_does_not_reset_the_address_window_of_others(app, client, moderator):
    with app.app_context():
        make_moderator("other")
    for i in range(4):
        fail_login(client, username=f"guess{i}", ip="203.0.113.8")
    assert login(client, "other", environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 303
    other_client = app.test_client()
    assert fail_login(other_client, username="guess9", ip="203.0.113.8").status_code == 200
    assert login(other_client, environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 429


@pytest.fixture
def strict_limits(app_config):
    app_config.update(LOGIN_MAX_FAILURES=2, LOGIN_WINDOW_SECONDS=60)


def test_the_limits_are_settings(strict_limits, client, moderator):
    fail_login(client)
    fail_login(client)
    locked = login(client, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert locked.status_code == 429 and "1 minute" in locked.text


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes"), (900, "15 minutes")],
)
def test_wait_text(seconds, words):
    assert signin.wait_text(seconds) == words


# -- the moderator commands ------------------------------------------------------------------------------


def test_create_with_password_stdin(app, runner):
    result = runner.invoke(
        args=["moderator", "create", "ann", "--password-stdin", "--email", "Ann@Example.org"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created moderator 'ann'" in result.output
    with app.app_context():
        ann = db.session.scalar(db.select(Moderator).where(Moderator.username == "ann"))
        assert ann.email == "Ann@example.org"
        accounts.hasher.verify(ann.password_hash, PASSWORD)


def test_create_prompts_twice(app, runner):
    result = runner.invoke(args=["moderator", "create", "bob"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "Repeat the password" in result.output
    client = app.test_client()
    assert login(client, "bob").status_code == 303


def test_create_asks_again_when_the_two_differ(runner):
    result = runner.invoke(
        args=["moderator", "create", "cy"], input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output


def test_create_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["moderator", "create", "dee", "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    assert "Password must be at least 10 characters." in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Moderator.id))) == 0


def test_create_refuses_a_duplicate_username(runner, moderator):
    result = runner.invoke(args=["moderator", "create", "mod", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 1
    assert "A moderator named 'mod' already exists." in result.output


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("mod", "A moderator named 'mod' already exists."),
        ("two words", "A username is 1 to 80 characters, without spaces."),
    ],
)
def test_create_refuses_the_name_before_asking_for_a_password(runner, moderator, name, message):
    """Typing a password twice only to hear that the name is taken wastes the typing."""
    result = runner.invoke(args=["moderator", "create", name], input="")
    assert result.exit_code == 1
    assert "Password" not in result.output
    assert message in result.output


def test_create_refuses_a_bad_email(runner):
    result = runner.invoke(
        args=["moderator", "create", "eve", "--password-stdin", "--email", "nope"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 2 and "--email" in result.output


def test_list(runner, moderator):
    assert "No moderators yet" not in runner.invoke(args=["moderator", "list"]).output
    output = runner.invoke(args=["moderator", "list"]).output
    assert output.startswith("mod\tmod@example.org\tcreated ")


def test_list_when_empty(runner):
    assert "No moderators yet" in runner.invoke(args=["moderator", "list"]).output


def test_set_password(app, runner, moderator):
    new = "a brand new passphrase"
    result = runner.invoke(args=["moderator", "set-password", "mod", "--password-stdin"], input=new + "\n")
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert login(client).status_code == 200
    assert login(client, password=new).status_code == 303


def test_set_password_prompts_twice_and_refuses_short_ones(runner, moderator):
    assert runner.invoke(args=["moderator", "set-password", "mod"], input="tiny\ntiny\n").exit_code == 1
    result = runner.invoke(args=["moderator", "set-password", "mod"], input=f"{PASSWORD}!\n{PASSWORD}!\n")
    assert result.exit_code == 0, result.output


def test_set_password_for_nobody(runner):
    result = runner.invoke(args=["moderator", "set-password", "ghost", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 1 and "There is no moderator named 'ghost'." in result.output


def test_old_failures_are_forgotten(app, client, moderator):
    with app.app_context():
        stale = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 1)
        db.session.add_all([LoginFailure(username=f"u{i}", ip=f"192.0.2.{i}", created_at=stale) for i in range(3)])
        db.session.commit()
    fail_login(client)
    with app.app_context():
        assert db.session.scalars(db.select(LoginFailure.username)).all() == ["mod"]
