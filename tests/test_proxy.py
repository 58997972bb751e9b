"""What the server and the proxy put in the request: the client's IP address and the path the blog is mounted at.

Behind FLASK_TRUSTED_PROXIES proxies, the client's address is the chosen X-Forwarded-For hop, but only when it is
an IP address: anything else would be stored with the comment and key the flood rule and the login throttle.
A SCRIPT_NAME (from the server, or a client's header mapped into the environ) never makes a 500.
"""

import logging

import pytest
import sqlalchemy as sa

from blog import create_app
from blog.core import security
from blog.core.extensions import db
from blog.core.models import Comment
from tests.actions import post_comment
from tests.factories import make_article

PEER = "127.0.0.1"  # the test client's own address: the proxy in front of the blog


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TRUSTED_PROXIES": 1}


@pytest.fixture
def caplog(caplog, monkeypatch):
    """pytest's caplog, with our logger enabled again (alembic's fileConfig in another test disables it)."""
    log = logging.getLogger(security.__name__)
    monkeypatch.setattr(log, "disabled", False)
    caplog.set_level(logging.WARNING, logger=log.name)
    return caplog


@pytest.fixture
def article(app):
    with app.app_context():
        make_article("on-embassies")


def stored_ips(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Comment.author_ip).order_by(Comment.id)))


def post_from(client, forwarded_for: str, n: int):
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return post_comment(client, comment=f"Comment number {n}.", email=f"reader{n}@example.org")


@pytest.mark.parametrize(
    ("forwarded_for", "client_ip"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("10.0.0.1, 203.0.113.7", "203.0.113.7"),  # the hop our one proxy added is the last
        ("203.0.113.7 ", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),  # one address, one spelling: the flood rule compares them
    ],
)
def test_the_forwarded_client_address_is_used(app, client, article, caplog, forwarded_for, client_ip):
    assert post_from(client, forwarded_for, 1).status_code == 303
    assert stored_ips(app) == [client_ip]
    assert not caplog.records


@pytest.mark.parametrize(
    "forwarded_for",
    ["unknown", "203.0.113.7, <script>", "203.0.113.7:8080", "x" * 200, "1.2.3.4.5", "::1%eth0/64"],
)
def test_a_forwarded_value_that_is_no_address_falls_back_to_the_peer(app, client, article, caplog, forwarded_for):
    assert post_from(client, forwarded_for, 1).status_code == 303
    assert stored_ips(app) == [PEER]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "X-Forwarded-For" in caplog.text


def test_the_warning_is_logged_once_per_process(app, client, article, caplog):
    for n, forwarded_for in enumerate(["unknown", "also unknown", "203.0.113.7", "nope"]):
        assert post_from(client, forwarded_for, n).status_code == 303
    assert stored_ips(app) == [PEER, PEER, "203.0.113.7", PEER]
    assert len(caplog.records) == 1


@pytest.mark.parametrize(
    "script_name",
    ["/x", "../", "..", "/x/../..", "x", "//evil.example", "/a\nb", "/\xff\xfe", "\x00", "/a b", "/" + "a" * 5000],
)
@pytest.mark.parametrize("path", ["/healthz", "/on-embassies/", "/on-embassies", "/no-such-page/", "/admin/comments"])
def test_a_script_name_never_makes_a_500(app, article, caplog, script_name, path):
    app.testing = False  # an exception becomes the 500 a reader would get, rather than failing the test
    response = app.test_client().get(path, environ_overrides={"SCRIPT_NAME": script_name})
    assert response.status_code in (200, 302, 308, 404), response.status_code
    location = response.headers.get("Location", "")
    assert not location.startswith("//") and "evil.example" not in location and "\n" not in location


@pytest.mark.parametrize(("name", "value"), [("SCRIPT_NAME", "/x"), ("Script-Name", "../"), ("SCRIPT_NAME", "\xff")])
def test_a_script_name_header_changes_nothing(app, article, name, value):
    """A client's header is no mount path: the test client, as a server should, maps it to HTTP_SCRIPT_NAME."""
    response = app.test_client().get("/on-embassies/", headers={name: value})
    assert response.status_code == 200
    assert 'href="/static/img/favicon.' in response.text


def test_a_clean_mount_path_is_kept(app, article):
    """An operator who mounts the blog under a prefix (gunicorn's SCRIPT_NAME variable) gets links under it."""
    response = app.test_client().get("/on-embassies/", environ_overrides={"SCRIPT_NAME": "/blog"})
    assert response.status_code == 200
    assert 'href="/blog/static/img/favicon.' in response.text


def test_a_refused_host_gets_the_error_page_with_links_under_the_mount_path(app_config, article):
    """With the Host refused, Flask builds no URLs for the request; the error page still links the site."""
    app = create_app({**app_config, "TRUSTED_HOSTS": ["blog.example.org"]})
    try:
        response = app.test_client().get(
            "/on-embassies/", headers={"Host": "evil.example"}, environ_overrides={"SCRIPT_NAME": "/blog"}
        )
        assert response.status_code == 400
        assert 'href="/blog/static/img/favicon.' in response.text
        assert 'href="/blog/"' in response.text  # "Go to the front page"
        assert "evil.example" not in response.text
    finally:
        with app.app_context():
            db.engine.dispose()
