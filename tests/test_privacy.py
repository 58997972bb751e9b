"""Commenters' data (SPEC §10): emails encrypted at rest, keys checked and rotated, export and erase, IPs cut
short after IP_RETENTION_DAYS, and the privacy notice the form links to."""

import base64
import json
import os
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask
from flask_migrate import downgrade, upgrade

from blog import create_app
from blog.core import instance_keys, settings
from blog.core.extensions import db
from blog.core.models import ArticleKind, Comment, CommentStatus, ModerationEvent
from blog.core.settings import SettingsError
from blog.moderation import actions, privacy, retention
from scripts.live import form_token
from tests.actions import location_ids, login, post_comment
from tests.conftest import TEST_DATA_KEY, app_with_tables, drop_app
from tests.factories import make_article, make_comment, make_moderator

MIGRATIONS = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "migrations")
MARTA, OSKAR = "Marta.Quill@Example.org", "oskar.fenn@example.net"
MARTA_STORED = "Marta.Quill@example.org"  # as the form normalises it: the domain in lower case


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def dump(app) -> str:
    """Every row of every table as the database holds it, as one text (what `sqlite3 .dump` would show)."""
    with app.app_context(), db.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return "\n".join(repr(tuple(row)) for name in names for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')))


def posted(client, email, author, text, slug="on-embassies"):
    response = post_comment(client, slug, text, author=author, email=email)
    assert response.status_code == 303, response.text[:300]
    return location_ids(response)[0]


@pytest.fixture
def two_commenters(app, client):
    """Marta posts twice (her address in two letter cases), Oskar once; their comment ids."""
    with app.app_context():  # not around the test: each request of the client has a context of its own
        make_article("on-embassies", "On Embassies")
    marta = [posted(client, MARTA, "Marta Quill", "First remark."), posted(client, MARTA.lower(), "Marta", "Second.")]
    oskar = [posted(client, OSKAR, "Oskar Fenn", "Oskar's remark.")]
    return marta, oskar


# -- at rest ----------------------------------------------------------------------------------------------


def test_the_database_holds_no_commenter_email_in_any_form(app, two_commenters):
    text = dump(app).lower()
    for email in (MARTA, OSKAR):
        assert email.lower() not in text
        assert email.split("@")[0].lower() not in text  # nor its local part alone
    with app.app_context():  # while the app reads them back in clear
        emails = {c.author_email for c in db.session.scalars(sa.select(Comment))}
    assert emails == {MARTA_STORED, MARTA.lower(), OSKAR}


def test_one_address_in_any_letter_case_has_one_blind_index(app, two_commenters):
    marta, oskar = two_commenters
    with app.app_context():
        keys = {c.id: c.author_email_key for c in db.session.scalars(sa.select(Comment))}
    assert keys[marta[0]] == keys[marta[1]] != keys[oskar[0]]
    assert all(len(k) == 64 for k in keys.values())  # an HMAC-SHA256, not the address


def test_a_backup_keeps_the_emails_encrypted_and_restores_them(app, runner, two_commenters, tmp_path):
    path = tmp_path / "blog.backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    assert MARTA.lower() not in path.read_text().lower()
    with app.app_context():
        db.drop_all()
        db.create_all()  # a new database makes its own index key; the backup's replaces it
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert len(privacy.comments_of(f"  {MARTA.upper()} ")) == 2


def test_a_backup_of_the_old_format_has_its_emails_encrypted_on_restore(app, runner, tmp_path):
    path = tmp_path / "old.backup"
    row = {
        "id": 1,
        "article_id": 1,
        "parent_id": None,
        "author_name": "Old",
        "author_email": "old@example.org",
    }
    row |= {"author_url": "", "author_ip": "192.0.2.1", "user_agent": "", "raw_text": "Hi", "html": "<p>Hi</p>"}
    row |= {"status": "approved", "reasons": [], "created_at": {"$datetime": "2024-01-02T00:00:00+00:00"}}
    row |= {"approved_at": None, "moderator_id": None, "text_fingerprint": "", "author_email_key": "old@example.org"}
    article_row = {"id": 1, "slug": "old", "title": "Old", "published_at": row["created_at"]}
    path.write_text(
        json.dumps({"format": "blog-backup/1", "tables": ["article", "comment"]})
        + "\n"
        + json.dumps({"t": "article", "r": article_row})
        + "\n"
        + json.dumps({"t": "comment", "r": row})
        + "\n"
    )
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert "old@example.org" not in dump(app)
    with app.app_context():
        assert [c.author_name for c in privacy.comments_of("OLD@example.org")] == ["Old"]


# -- keys -------------------------------------------------------------------------------------------------


def test_a_wrong_key_stops_start_up_with_a_clear_message(app, app_config):
    with pytest.raises(SettingsError, match="FLASK_DATA_KEY does not open the commenters' data"):
        create_app(app_config | {"DATA_KEY": new_key()})


def test_production_without_a_key_warns_and_keeps_one_in_the_instance_folder(app_config, tmp_path, monkeypatch, caplog):
    """Not a refusal (earlier deployments start without it): a key of its own, and a warning at each start."""
    monkeypatch.delenv("FLASK_DATA_KEY", raising=False)
    config = {k: v for k, v in app_config.items() if k not in ("DATA_KEY", "TESTING")}
    first, second = Flask("first", instance_path=str(tmp_path)), Flask("second", instance_path=str(tmp_path))
    settings.load(first, config)
    assert "FLASK_DATA_KEY is not set" in caplog.text
    assert first.config["DATA_KEY"] == (instance_keys.data_key(tmp_path),)
    settings.load(second, config)
    assert second.config["DATA_KEY"] == first.config["DATA_KEY"]  # the next start reads it back


def test_the_kept_key_is_made_once_readable_by_its_owner_only(tmp_path):
    first = instance_keys.data_key(tmp_path)
    assert instance_keys.data_key(tmp_path) == first
    assert (tmp_path / "data_key").stat().st_mode & 0o777 == 0o600


def test_rotation_while_comments_are_posted_loses_nothing(app, app_config):
    """The site runs with the new key first while `keys rotate` re-encrypts; afterwards the new key alone reads all."""
    with app.app_context():  # not around the test: the command must run in the rotating app's context
        article = make_article("on-embassies")
        slug = article.slug
        for i in range(30):
            make_comment(article, email=f"before{i}@example.org")
    new = new_key()
    rotating = app_with_tables(app_config | {"DATA_KEY": f"{new},{TEST_DATA_KEY}"})
    stop, sent = threading.Event(), []

    def post_meanwhile():
        client = rotating.test_client()
        while not stop.is_set() or len(sent) < 5:
            i = len(sent)
            sent.append(posted(client, f"during{i}@example.org", f"During {i}", f"Posted during rotation {i}.", slug))

    poster = threading.Thread(target=post_meanwhile)
    poster.start()
    try:
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
    finally:
        stop.set()
        poster.join(60)
    assert result.exit_code == 0, result.output
    assert "Re-encrypted" in result.output
    after = create_app(app_config | {"DATA_KEY": new})  # the old key dropped
    with after.app_context():
        emails = {c.author_email for c in db.session.scalars(sa.select(Comment))}
        assert {f"before{i}@example.org" for i in range(30)} <= emails
        assert {f"during{i}@example.org" for i in range(len(sent))} <= emails
        assert len(privacy.comments_of("DURING0@example.org")) == 1  # the index key survived the rotation
    with pytest.raises(SettingsError):
        create_app(app_config)  # and the old key alone no longer opens anything
    drop_app(after)


# -- export and erase -------------------------------------------------------------------------------------


def test_export_holds_every_comment_of_the_address_and_nothing_else(app, runner, two_commenters, tmp_path):
    marta, _ = two_commenters
    with app.app_context():
        mod = make_moderator()
        actions.apply([marta[0]], "approve", mod)
    out = tmp_path / "export.json"
    result = runner.invoke(args=["privacy", "export", " marta.quill@EXAMPLE.org ", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [c["id"] for c in data["comments"]] == marta
    assert [c["email"] for c in data["comments"]] == [MARTA_STORED, MARTA.lower()]
    first = data["comments"][0]
    assert (first["text"], first["status"], first["ip"], first["article"]["slug"]) == (
        "First remark.",
        "approved",
        "127.0.0.1",
        "on-embassies",
    )
    assert [(e["action"], e["by"]) for e in first["moderation"]] == [("approve", "mod")]
    assert "Oskar" not in out.read_text()
    assert out.stat().st_mode & 0o777 == 0o600


def test_erase_leaves_no_trace_of_the_person_and_shows_anonymous(app, runner, client, two_commenters):
    marta, oskar = two_commenters
    with app.app_context():
        mod = make_moderator()
        actions.apply(oskar + marta, "approve", mod)
        # a moderation key that matched his address is quoted in the reasons
        db.session.get(Comment, oskar[0]).reasons = [f"moderation key: {OSKAR}"]
        db.session.commit()
    result = runner.invoke(args=["privacy", "erase", "OSKAR.FENN@example.net"])
    assert result.exit_code == 0, result.output
    assert "1 comment" in result.output

    text = dump(app).lower()
    for trace in ("oskar fenn", "oskar.fenn"):  # name, address (the IP is Marta's too: 127.0.0.1)
        assert trace not in text
    with app.app_context():
        erased = db.session.get(Comment, oskar[0])
        assert (erased.author_name, erased.author_email, erased.author_url, erased.author_ip, erased.user_agent) == (
            "Anonymous",
            "",
            "",
            "",
            "",
        )
        assert erased.raw_text == "Oskar's remark."  # kept unless --delete-text
        event = db.session.scalars(
            sa.select(ModerationEvent).where(ModerationEvent.comment_id == oskar[0], ModerationEvent.action == "erase")
        ).one()
        assert event.moderator_name == "system" and "oskar" not in event.detail.lower()
        assert db.session.get(Comment, marta[0]).author_name == "Marta Quill"  # nobody else's
    page = client.get("/on-embassies/").text
    assert "Anonymous" in page and "Oskar Fenn" not in page


def test_erase_with_delete_text_replaces_the_text(app, runner, two_commenters):
    _, oskar = two_commenters
    assert runner.invoke(args=["privacy", "erase", OSKAR, "--delete-text"]).exit_code == 0
    with app.app_context():
        assert db.session.get(Comment, oskar[0]).raw_text == privacy.DELETED_TEXT


def test_the_admin_privacy_screen_finds_exports_and_erases_after_confirmation(app, client, two_commenters):
    marta, _ = two_commenters
    with app.app_context():
        make_moderator()
    assert client.get("/admin/privacy").status_code == 302  # moderators only
    assert login(client).status_code == 303
    page = client.get("/admin/privacy")
    token = form_token(page.text)

    found = client.post("/admin/privacy", data={"csrf_token": token, "email": "MARTA.QUILL@example.org"})
    assert found.status_code == 200
    assert "2 comments written under" in found.text and "First remark." in found.text and MARTA_STORED in found.text
    assert "Oskar" not in found.text

    exported = client.post("/admin/privacy/export", data={"csrf_token": token, "email": MARTA})
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert [c["id"] for c in exported.json["comments"]] == marta

    unconfirmed = client.post("/admin/privacy/erase", data={"csrf_token": token, "email": MARTA})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in unconfirmed.text
    with app.app_context():
        assert db.session.get(Comment, marta[0]).author_name == "Marta Quill"

    done = client.post("/admin/privacy/erase", data={"csrf_token": token, "email": MARTA, "confirm": "y"})
    assert (done.status_code, done.headers["Location"]) == (303, "/admin/privacy")
    with app.app_context():
        assert {db.session.get(Comment, i).author_name for i in marta} == {"Anonymous"}
        erasers = db.session.scalars(sa.select(ModerationEvent.moderator_name).where(ModerationEvent.action == "erase"))
        assert set(erasers) == {"mod"}
    assert "Erased the personal data of 2 comments." in client.get("/admin/privacy").text


# -- IP addresses -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "kept"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("203.0.113.0", "203.0.113.0"),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_an_ip_is_cut_to_its_network(ip, kept):
    assert retention.truncated_ip(ip) == kept


def test_purge_cuts_short_the_ips_of_old_approved_comments_only(app, runner, article):
    old, recent = timedelta(days=61), timedelta(days=59)
    with app.app_context():
        cut = make_comment(article, ip="198.51.100.23", age=old).id
        cut6 = make_comment(article, ip="2001:db8:1:2::9", age=old).id
        fresh = make_comment(article, ip="198.51.100.24", age=recent).id
        spam = make_comment(article, status=CommentStatus.PENDING, ip="198.51.100.25", age=old).id
    result = runner.invoke(args=["comments", "purge"])
    assert "Cut short the IP address of 2 approved comments older than 60 days." in result.output
    with app.app_context():
        stored = {c.id: (c.author_ip, c.user_agent) for c in db.session.scalars(sa.select(Comment))}
    assert stored[cut] == ("198.51.100.0", "")
    assert stored[cut6] == ("2001:db8:1::", "")
    assert stored[fresh] == ("198.51.100.24", "pytest")
    assert stored[spam] == ("198.51.100.25", "pytest")
    assert "198.51.100.23" not in dump(app)


def test_the_served_site_purges_once_a_day(app, article):
    with app.app_context():
        make_comment(article, ip="198.51.100.23", age=timedelta(days=90))
        assert retention.purge_if_due() is True
        assert retention.purge_if_due() is False  # another worker, the same day
        assert db.session.scalar(sa.select(Comment.author_ip)) == "198.51.100.0"
        tomorrow = retention.utcnow() + timedelta(days=1, minutes=1)
        assert retention.purge_if_due(tomorrow) is True


# -- the notice -------------------------------------------------------------------------------------------


def test_the_form_links_to_a_notice_that_states_the_settings_in_force(client, article):
    page = client.get("/on-embassies/").text
    assert '<a href="/privacy/">Your email address will not be published.</a>' in page
    notice = client.get("/privacy/")
    assert notice.status_code == 200
    assert "60 days" in notice.text and "30 days" in notice.text and "encrypted" in notice.text


def test_a_page_of_the_bloggers_own_is_the_notice(app, client):
    with app.app_context():
        make_article("privacy", "How we handle your data", html="<p>Our own words.</p>", kind=ArticleKind.PAGE)
    assert "Our own words." in client.get("/privacy/").text


# -- the migration ----------------------------------------------------------------------------------------


def test_the_migration_encrypts_the_stored_emails_and_the_downgrade_decrypts_them(app_config):
    bare = create_app(app_config)
    with bare.app_context():
        upgrade(directory=MIGRATIONS, revision="0007_pages")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO article (id, slug, title, author, summary, tags, status, comments_open, published_at,"
                    " updated_at, source_path, content_hash, html, toc_html, description, image, version,"
                    " approved_count, kind) VALUES (1, 'a', 'A', '', '', '[]', 'published', true, '2024-01-01',"
                    " '2024-01-01', 'a.md', '', '', '', '', '', 1, 0, 'article')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO comment (id, article_id, author_name, author_email, author_url, author_ip, user_agent,"
                    " raw_text, html, status, reasons, created_at, text_fingerprint, author_email_key) VALUES"
                    " (1, 1, 'Ann', 'Ann@Example.org', '', '', '', 'Hi', '<p>Hi</p>', 'approved', '[]',"
                    " '2024-01-02', '', 'ann@example.org')"
                )
            )
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT author_email, author_email_key FROM comment")).one()
        assert "ann" not in (row.author_email + row.author_email_key).lower()
        assert Fernet(TEST_DATA_KEY).decrypt(row.author_email.encode()) == b"Ann@Example.org"
        db.session.remove()
        db.engine.dispose()

    migrated = create_app(app_config)  # a new process: it reads the index key the migration made
    with migrated.app_context():
        assert [c.author_name for c in privacy.comments_of("ann@example.ORG")] == ["Ann"]
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0007_pages")
        with db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT author_email, author_email_key FROM comment")).one()
        assert (row.author_email, row.author_email_key) == ("Ann@Example.org", "ann@example.org")
        downgrade(directory=MIGRATIONS, revision="base")
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()
