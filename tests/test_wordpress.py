"""Moving in from WordPress and out again: `flask import wxr` and `flask export wxr` (SPEC §9).

The WP Test export (tests/corpora/wptest-wxr/wptest.xml: 37 posts, 15 pages, 30 comments, one thread
ten levels deep) is the real-world case; small files made by tests/factories.py test one thing each.
"""

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from PIL import Image

from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentKind, CommentStatus, ModerationEvent
from blog.core.records import Redirect
from blog.moving import convert, export
from tests.actions import login, queue
from tests.conftest import app_with_tables, corpus, drop_app, nu_errors
from tests.factories import make_article, make_comment, make_moderator, make_wxr, wxr_comment, wxr_item

WPTEST = corpus("wptest-wxr", "wptest.xml")


def run(runner, *args):
    return runner.invoke(args=list(args))


def import_wxr(runner, path, *options):
    result = run(runner, "import", "wxr", str(path), *options)
    return result


def digest(folder) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".thumbs" not in path.parts:
            h.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return h.hexdigest()


def markdown_files(folder) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.md"))}


def nothing_written(app, content_dir) -> bool:
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count(Article.id))) + db.session.scalar(
            sa.select(sa.func.count(Redirect.path))
        )
    return stored == 0 and not list(content_dir.glob("*.md"))


# -- the WP Test export --


@pytest.fixture
def wptest(app, runner, content_dir):
    """The WP Test export imported into the test site; the import's output."""
    result = import_wxr(runner, WPTEST)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_post_page_and_comment_of_wptest_is_imported(app, wptest, content_dir):
    assert "posts: 37 created, 0 updated, 0 unchanged, 0 skipped" in wptest
    assert "pages: 15 created, 0 updated, 0 unchanged, 0 skipped" in wptest
    assert "comments: 26 created" in wptest and "pings: 4 created" in wptest
    assert len(list(content_dir.glob("*.md"))) == 52
    with app.app_context():
        articles = {a.slug: a for a in db.session.scalars(sa.select(Article))}
        assert len(articles) == 52
        comments = db.session.scalars(sa.select(Comment)).all()
        assert len(comments) == 30
        assert {c.status for c in comments} == {CommentStatus.APPROVED}
        assert sum(c.kind is CommentKind.PINGBACK for c in comments) == 4
        assert sum(c.parent_id is not None for c in comments) == 9
        # The thread ten levels deep is kept whole: follow the deepest reply up to its first comment.
        by_id = {c.id: c for c in comments}
        depth = max(_depth(c, by_id) for c in comments)
        assert depth == 10
        assert sum(c.by_post_author for c in comments) >= 1
        # Drafts, the future post and the password-protected post are stored, but not public.
        statuses = sorted((a.status.value, a.is_public()) for a in articles.values() if not a.is_public())
        assert statuses == [("draft", False), ("draft", False), ("published", False)]


def _depth(comment, by_id) -> int:
    depth = 1
    while comment.parent_id:
        comment = by_id[comment.parent_id]
        depth += 1
    return depth


def test_the_report_lists_every_shortcode_missing_image_and_protected_post(wptest):
    assert "shortcode [audio] kept as text in 'Post Format: Audio'" in wptest
    assert "shortcode [wpvideo] kept as text" in wptest
    missing = re.findall(r"^missing image .*: (\S+)$", wptest, re.M)
    assert len(missing) == len(set(missing)) == 39
    assert "images: 0 copied, 0 unchanged, 39 missing" in wptest
    assert "password-protected on WordPress: imported as a draft" in wptest


def test_captions_become_figures_and_galleries_lists_of_figures(app, client, wptest, content_dir):
    text = (content_dir / "post-format-image-caption.md").read_text()
    assert '"It\'s dangerous to go alone! Take this.")' in text
    page = client.get("/post-format-image-caption/").text
    figure = re.search(r'<figure class="wp-caption">(.*?)</figure>', page, re.S).group(1)
    assert 'alt="Triforce Wallpaper"' in figure
    assert re.search(r"<figcaption[^>]*>It(&#39;|'|’)s dangerous to go alone! Take this.</figcaption>", figure)
    gallery = client.get("/post-format-gallery/").text
    assert gallery.count("<img") >= 6


def test_pings_are_listed_apart_below_the_comments(client, wptest):
    with client.application.app_context():
        ping = db.session.scalars(sa.select(Comment).where(Comment.kind == CommentKind.PINGBACK)).first()
        slug = ping.article.slug
        # WordPress wrote the name as HTML, as it keeps it: "Ping 1 &laquo; What&#8217;s a tellyworth?"
        assert ping.author_name == "Ping 1 « What’s a tellyworth?"
    page = client.get(f"/{slug}/").text
    threads, _, pings = page.partition('<ol class="ping-list">')
    assert f'id="comment-{ping.id}"' in pings and f'id="comment-{ping.id}"' not in threads
    assert "Pingbacks and trackbacks" in page


def test_imported_pages_are_valid_html(client, wptest, tmp_path):
    # Every public imported page: WordPress's HTML, through Markdown and the cleaning, stays valid.
    with client.application.app_context():
        slugs = [a.slug for a in db.session.scalars(sa.select(Article)) if a.is_public()]
    for slug in slugs:
        (tmp_path / f"{slug}.html").write_text(client.get(f"/{slug}/").text)
    assert nu_errors(sorted(tmp_path.glob("*.html"))) == []


def test_old_permalinks_answer_301_with_the_new_address(client, wptest):
    # The post "comments" (id 149, at /comments/ on WordPress) takes comments-149: /comments/ is ours.
    for old, new in [
        ("/?p=149", "/comments-149/"),
        ("/comments/", "/comments-149/"),
        ("/2013/01/03/comments/", "/comments-149/"),
        ("/?p=1086", "/about/"),
        ("/?page_id=1086", "/about/"),
    ]:
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"] == new
    assert client.get("/comments-149/").status_code == 200
    assert client.get("/?p=99999999").status_code == 404
    assert client.get("/1999/01/01/never-was/").status_code == 404


def test_a_second_import_changes_nothing_and_says_so(app, runner, wptest, content_dir):
    before = digest(content_dir)
    with app.app_context():
        comments = db.session.scalar(sa.select(sa.func.count(Comment.id)))
    again = import_wxr(runner, WPTEST)
    assert again.exit_code == 0, again.output
    assert "posts: 0 created, 0 updated, 37 unchanged, 0 skipped" in again.output
    assert "comments: 0 created, 26 unchanged" in again.output
    assert not re.search(r"\b[1-9]\d* (created|updated)", again.output)
    assert digest(content_dir) == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == comments


def test_export_then_import_gives_the_same_site(app, runner, wptest, content_dir, tmp_path, app_config):
    from tests.conftest import app_with_tables, drop_app

    exported = tmp_path / "export.xml"
    result = run(runner, "export", "wxr", str(exported))
    assert result.exit_code == 0, result.output
    assert "37 posts, 30 comments, 15 pages" in result.output
    with app.app_context():
        first = _site()

    # Into a fresh site, twice over: the second round trip is byte for byte the first.
    copies = []
    for n in (2, 3):
        other_content = tmp_path / f"content{n}"
        other_content.mkdir()
        other = app_with_tables(
            {
                **app_config,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'site{n}.db'}",
                "CONTENT_DIR": str(other_content),
            }
        )
        try:
            again = other.test_cli_runner().invoke(args=["import", "wxr", str(exported)])
            assert again.exit_code == 0, again.output
            with other.app_context():
                assert _site() == first
            exported = tmp_path / f"export{n}.xml"
            other.test_cli_runner().invoke(args=["export", "wxr", str(exported)])
        finally:
            drop_app(other)
        copies.append(markdown_files(other_content))
    assert copies[0] == copies[1]
    assert len(copies[0]) == 52


def _site() -> tuple:
    """What a reader and a moderator see of a site: articles and their comments, with threads and statuses."""
    articles = sorted(
        (a.slug, a.title, a.kind.value, a.status.value, a.published_at, tuple(a.tags), a.comments_open)
        for a in db.session.scalars(sa.select(Article))
    )
    comments = db.session.scalars(sa.select(Comment)).all()
    by_id = {c.id: c for c in comments}
    shape = sorted(
        (
            c.article.slug,
            c.author_name,
            c.author_email,
            c.created_at,
            c.status.value,
            c.kind.value,
            c.html,
            by_id[c.parent_id].raw_text if c.parent_id else None,
        )
        for c in comments
    )
    return articles, shape


def test_the_admin_history_says_imported_with_the_date(app, client, wptest, fast_hashing):
    with app.app_context():
        make_moderator()
        event = db.session.scalars(sa.select(ModerationEvent)).first()
        assert event.action == "imported"
        when = event.created_at.strftime("%-d %b %Y")
    login(client)
    page = queue(client, status="approved").text
    assert "Imported by WordPress import,\n        <time" in page
    assert when in page


# -- one thing each, in small files --


def test_versions_and_https_namespaces_read_alike(app, runner, tmp_path, content_dir):
    for n, (version, https) in enumerate((("1.0", False), ("1.1", True), ("1.2", True))):
        path = make_wxr(tmp_path / f"v{n}.xml", wxr_item(10 + n, f"post-{n}"), version=version, https=https)
        result = import_wxr(runner, path)
        assert result.exit_code == 0, result.output
        assert "posts: 1 created" in result.output
    assert len(list(content_dir.glob("*.md"))) == 3


def test_comment_statuses_threads_and_pings(app, runner, tmp_path):
    comments = (
        wxr_comment(1),
        wxr_comment(3, parent=2),  # a reply before the comment it answers: order in the file does not matter
        wxr_comment(2, parent=1, user_id=7),
        wxr_comment(4, approved="0"),
        wxr_comment(5, approved="spam"),
        wxr_comment(6, approved="trash"),
        wxr_comment(7, approved="post-trashed"),
        wxr_comment(8, type="trackback", author="Other Blog", author_url="https://other.example/"),
    )
    path = make_wxr(tmp_path / "c.xml", wxr_item(1, "talk", comments=comments))
    result = import_wxr(runner, path)
    assert result.exit_code == 0, result.output
    with app.app_context():
        got = {c.wordpress_id: c for c in db.session.scalars(sa.select(Comment))}
        assert got[3].parent_id == got[2].id and got[2].parent_id == got[1].id
        assert got[2].by_post_author and not got[1].by_post_author
        assert [got[n].status for n in (1, 4, 5, 6, 7)] == [
            CommentStatus.APPROVED,
            CommentStatus.PENDING,
            CommentStatus.SPAM,
            CommentStatus.TRASH,
            CommentStatus.TRASH,
        ]
        assert got[8].kind is CommentKind.TRACKBACK
        assert got[1].author_email == "reader1@example.org" and got[1].author_ip == "192.0.2.1"


def test_no_pings_leaves_them_out(app, runner, tmp_path):
    path = make_wxr(tmp_path / "p.xml", wxr_item(1, "talk", comments=(wxr_comment(1), wxr_comment(2, type="pingback"))))
    result = import_wxr(runner, path, "--no-pings")
    assert "pings: 0 created, 0 unchanged, 1 skipped" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 1


def test_statuses_become_published_drafts_and_scheduled(app, runner, tmp_path):
    items = [
        wxr_item(1, "live"),
        wxr_item(2, "pending-one", status="pending"),
        wxr_item(3, "private-one", status="private"),
        wxr_item(4, "later", status="future", date_gmt="2999-01-01 00:00:00"),
        wxr_item(5, "binned", status="trash"),
        wxr_item(6, "locked", extra="<wp:post_password>secret</wp:post_password>"),
    ]
    result = import_wxr(runner, make_wxr(tmp_path / "s.xml", *items))
    assert "post 5 skipped: its status is 'trash'" in result.output
    assert "'Locked' is password-protected on WordPress: imported as a draft" in result.output
    with app.app_context():
        public = {a.slug: a.is_public() for a in db.session.scalars(sa.select(Article))}
    assert public == {"live": True, "pending-one": False, "private-one": False, "later": False, "locked": False}


def test_dry_run_writes_nothing(app, runner, content_dir):
    result = import_wxr(runner, WPTEST, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was written" in result.output and "posts: 37 created" in result.output
    assert nothing_written(app, content_dir)


def test_an_edited_file_is_kept_unless_forced(app, runner, tmp_path, content_dir):
    path = make_wxr(tmp_path / "e.xml", wxr_item(1, "mine", "<p>First words.</p>"))
    assert import_wxr(runner, path).exit_code == 0
    file = content_dir / "mine.md"
    file.write_text(file.read_text().replace("First words.", "My own words."))
    changed = make_wxr(tmp_path / "e2.xml", wxr_item(1, "mine", "<p>New words on WordPress.</p>"))
    result = import_wxr(runner, changed)
    assert "mine.md skipped: edited since the last import; --force overwrites it" in result.output
    assert "My own words." in file.read_text()
    result = import_wxr(runner, changed, "--force")
    assert "posts: 0 created, 1 updated" in result.output
    assert "New words on WordPress." in file.read_text()
    # Not edited since: a changed post on WordPress updates the file without --force.
    again = make_wxr(tmp_path / "e3.xml", wxr_item(1, "mine", "<p>Newer still.</p>"))
    assert "posts: 0 created, 1 updated" in import_wxr(runner, again).output


def test_a_file_the_import_did_not_write_is_kept(app, runner, tmp_path, content_dir):
    (content_dir / "mine.md").write_text("---\ntitle: Mine\ndate: 2020-01-01\n---\n\nHand written.\n")
    result = import_wxr(runner, make_wxr(tmp_path / "k.xml", wxr_item(1, "mine", comments=(wxr_comment(1),))))
    assert "mine.md skipped: not written by an import" in result.output
    assert "Hand written." in (content_dir / "mine.md").read_text()
    with app.app_context():  # that article is not the WordPress post: the post's comments are not its own
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_images_found_in_the_media_folder_are_copied_and_published(app, client, runner, tmp_path, content_dir):
    uploads = tmp_path / "uploads" / "2020" / "01"
    uploads.mkdir(parents=True)
    Image.new("RGB", (600, 400), "teal").save(uploads / "boat.jpg")
    content = (
        '[caption id="attachment_9" align="alignnone" width="600"]<img src="https://old.example.org/blog/wp-content/'
        'uploads/2020/01/boat.jpg" alt="A boat" width="600" height="400" /> The boat at dawn[/caption]'
    )
    path = make_wxr(tmp_path / "m.xml", wxr_item(1, "boats", content))
    result = import_wxr(runner, path, "--media-dir", str(tmp_path / "uploads"))
    assert result.exit_code == 0, result.output
    assert "images: 1 copied, 0 unchanged, 0 missing" in result.output
    assert (content_dir / "images" / "2020" / "01" / "boat.jpg").is_file()
    assert '![A boat](images/2020/01/boat.jpg "The boat at dawn")' in (content_dir / "boats.md").read_text()
    page = client.get("/boats/").text
    assert re.search(
        r'<figure class="wp-caption">.*src="/media/2020/01/boat[^"]*".*The boat at dawn</figcaption>', page, re.S
    )


def test_an_exported_image_comes_back_with_the_images_folder(app, runner, tmp_path, content_dir, app_config):
    from tests.conftest import app_with_tables, drop_app

    Image.new("RGB", (1600, 900), "navy").save(content_dir / "images" / "sea.jpg")
    (content_dir / "sea.md").write_text(
        '---\ntitle: Sea\ndate: 2020-01-01\n---\n\n![The sea](images/sea.jpg "At noon")\n'
    )
    assert run(runner, "content", "publish").exit_code == 0
    exported = tmp_path / "out.xml"
    assert run(runner, "export", "wxr", str(exported), "--site-url", "https://sea.example").exit_code == 0
    assert 'src="https://sea.example/media/' in exported.read_text()

    other_content = tmp_path / "other"
    other_content.mkdir()
    other = app_with_tables(
        {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'o.db'}", "CONTENT_DIR": str(other_content)}
    )
    try:
        result = other.test_cli_runner().invoke(
            args=["import", "wxr", str(exported), "--media-dir", str(content_dir / "images")]
        )
        assert result.exit_code == 0, result.output
        assert "images: 1 copied, 0 unchanged, 0 missing" in result.output
        assert '![The sea](images/sea.jpg "At noon")' in (other_content / "sea.md").read_text()
    finally:
        drop_app(other)


def test_a_script_in_a_post_or_comment_is_cleaned_never_run(app, client, runner, tmp_path):
    content = (
        '<p onclick="alert(1)">Hi</p><script>alert(2)</script><img src=x onerror="alert(3)">'
        '<a href="javascript:alert(4)">x</a>'
    )
    comment = wxr_comment(1, '<script>alert(5)</script><b onmouseover="alert(6)">bold</b>')
    result = import_wxr(runner, make_wxr(tmp_path / "x.xml", wxr_item(1, "xss", content, comments=(comment,))))
    assert result.exit_code == 0, result.output
    body = client.get("/xss/").text.split("<main", 1)[1]
    # Scripts run from a script element, an on* attribute or a javascript: address; none is left.
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", body, re.I)
    assert not re.search(r"<[^>]+\son\w+\s*=", body, re.I)
    assert not re.search(r"(?:href|src)\s*=\s*[\"']?\s*javascript:", body, re.I)
    assert "Hi" in body
    assert "<b>bold</b>" in body


def test_a_failed_publish_leaves_everything_as_it_was(app, runner, tmp_path, content_dir):
    # A hand-written file already takes the slug the import's new file would have: publishing refuses both.
    (content_dir / "other.md").write_text("---\ntitle: Mine\nslug: taken\ndate: 2020-01-01\n---\n\nMine.\n")
    path = make_wxr(tmp_path / "f.xml", wxr_item(1, "taken", comments=(wxr_comment(1),)))
    result = import_wxr(runner, path)
    assert result.exit_code == 1
    assert "duplicate slug 'taken'" in result.output and "Nothing was imported" in result.output
    assert sorted(p.name for p in content_dir.glob("*.md")) == ["other.md"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Redirect.path))) == 0


# -- hostile files: refused cleanly, nothing written --

BOMB = """<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


def test_a_billion_laughs_is_refused(app, runner, tmp_path, content_dir):
    path = make_wxr(tmp_path / "bomb.xml", wxr_item(1, "bomb", "&lol9;"), doctype=BOMB)
    result = import_wxr(runner, path)
    assert result.exit_code == 1
    assert "refused: the file declares a DTD or entities" in result.output and "Nothing was imported" in result.output
    assert nothing_written(app, content_dir)


def test_an_external_entity_never_reads_a_local_file(app, runner, tmp_path, content_dir):
    secret = tmp_path / "secret.txt"
    secret.write_text("the-secret-words")
    doctype = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    path = make_wxr(tmp_path / "xxe.xml", wxr_item(1, "xxe", "&xxe;"), doctype=doctype)
    result = import_wxr(runner, path)
    assert result.exit_code == 1 and "refused" in result.output
    assert "the-secret-words" not in result.output
    assert nothing_written(app, content_dir)


def test_a_truncated_file_is_refused_with_its_line_and_column(app, runner, tmp_path, content_dir):
    cut = tmp_path / "cut.xml"
    cut.write_bytes(WPTEST.read_bytes()[:300_000])
    result = import_wxr(runner, cut)
    assert result.exit_code == 1
    assert re.search(r"line \d+, column \d+: not well-formed XML", result.output)
    assert nothing_written(app, content_dir)


@pytest.mark.parametrize(
    "text, reason",
    [
        ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>', "not <rss>"),
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><item><title>x</title></item></channel></rss>',
            "without WordPress",
        ),
        ('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>', "no wp: elements"),
        ("Just some words.", "not well-formed XML"),
    ],
)
def test_a_file_that_is_not_wxr_is_refused(app, runner, tmp_path, content_dir, text, reason):
    path = tmp_path / "not.xml"
    path.write_text(text)
    result = import_wxr(runner, path)
    assert result.exit_code == 1
    assert reason in result.output and "Nothing was imported" in result.output
    assert nothing_written(app, content_dir)


def test_another_content_folder_is_refused(app, runner, tmp_path):
    result = import_wxr(runner, WPTEST, "--content-dir", str(tmp_path / "elsewhere"))
    assert result.exit_code == 1 and "is not the folder the blog publishes" in result.output


# -- the export, as WordPress's importer reads it --
#
# WordPress reads a WXR file with SimpleXML (strict XML 1.0) and, when that refuses it, with a parser of
# regular expressions that reads line by line and does not decode what it finds.

NOON = datetime(2020, 1, 2, 12, 0, tzinfo=UTC)
COMMENT_FIELDS = [
    "comment_id",
    "comment_author",
    "comment_author_email",
    "comment_author_url",
    "comment_author_IP",
    "comment_date",
    "comment_date_gmt",
    "comment_content",
    "comment_approved",
    "comment_type",
    "comment_parent",
    "comment_user_id",
    "comment_agent",
]


def export_site(runner, tmp_path) -> str:
    """Export the test site; return the file's text, having checked it is well-formed XML 1.0."""
    path = tmp_path / "export.xml"
    result = run(runner, "export", "wxr", str(path))
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    ElementTree.fromstring(text.encode())  # expat, like libxml2, refuses what XML 1.0 cannot hold
    return text


def import_elsewhere(app_config, tmp_path, text: str) -> tuple[dict, list]:
    """Import an export into a fresh site; return its articles (slug → title, author) and comments."""
    path = tmp_path / "to-import.xml"
    path.write_text(text, encoding="utf-8")
    content = tmp_path / "elsewhere"
    content.mkdir()
    other = app_with_tables(
        {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'elsewhere.db'}", "CONTENT_DIR": str(content)}
    )
    try:
        result = other.test_cli_runner().invoke(args=["import", "wxr", str(path)])
        assert result.exit_code == 0, result.output
        with other.app_context():
            articles = {a.slug: (a.title, a.author) for a in db.session.scalars(sa.select(Article))}
            comments = sorted((c.author_name, c.raw_text, c.kind.value) for c in db.session.scalars(sa.select(Comment)))
        return articles, comments
    finally:
        drop_app(other)


def test_a_title_with_ampersands_and_angle_brackets_is_written_as_html_in_cdata(app, runner, tmp_path, app_config):
    title = 'Fish & <Chips> "at" dusk'
    with app.app_context():
        make_article("fish", title, published_at=NOON)
    text = export_site(runner, tmp_path)
    # What the regular-expression parser takes as it stands, and SimpleXML reads alike.
    assert '<title><![CDATA[Fish &amp; &lt;Chips&gt; "at" dusk]]></title>' in text
    articles, _ = import_elsewhere(app_config, tmp_path, text)
    assert articles["fish"][0] == title


def test_characters_xml_cannot_hold_are_dropped_from_every_text(app, runner, tmp_path, app_config):
    with app.app_context():
        article = make_article(
            "bell", "Bell\x07 tower", published_at=NOON, html="<p>Form\x0cfeed\ufffe here.</p>", summary="Sum\x1bmary."
        )
        make_comment(article, "Escape\x1b[31m red.", author="Ada\x01 Reader", created_at=NOON)
    text = export_site(runner, tmp_path)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text)
    assert "Bell tower" in text and "Formfeed here." in text and "Summary." in text
    articles, comments = import_elsewhere(app_config, tmp_path, text)
    assert articles["bell"][0] == "Bell tower"
    assert comments == [("Ada Reader", "Escape[31m red.", "comment")]


def test_each_author_has_a_login_of_their_own_and_posts_name_it(app, runner, tmp_path, app_config):
    bylines = {"ada": "Ada Writer", "ada-too": "ada writer", "zoe": "Ζωή", "lei": "李雷", "unsigned": ""}
    with app.app_context():
        for slug, author in bylines.items():
            make_article(slug, published_at=NOON, author=author)
    text = export_site(runner, tmp_path)
    root = ElementTree.fromstring(text.encode())
    wp = "{http://wordpress.org/export/1.2/}"
    logins = {a.findtext(f"{wp}author_login"): a.findtext(f"{wp}author_display_name") for a in root.iter(f"{wp}author")}
    # Names that fold to the same ASCII login, or to none, still get one each.
    assert sorted(logins) == ["ada-writer", "ada-writer-2", "editor", "editor-2", "the-editors"]
    assert all(line.endswith("</wp:author>") for line in text.splitlines() if line.startswith("<wp:author>"))
    # No setting holds an author's email, so none is written (the README says so).
    assert {a.findtext(f"{wp}author_email") for a in root.iter(f"{wp}author")} == {""}
    written_by = {
        item.findtext(f"{wp}post_name"): logins[item.findtext("{http://purl.org/dc/elements/1.1/}creator")]
        for item in root.iter("item")
    }
    signed = {**bylines, "unsigned": "The Editors"}  # SITE_AUTHOR, the byline of articles that name none
    assert written_by == signed
    articles, _ = import_elsewhere(app_config, tmp_path, text)
    assert {slug: author for slug, (_, author) in articles.items()} == signed


def test_names_are_written_as_html_as_wordpress_keeps_them(app, runner, tmp_path, app_config):
    # WordPress keeps a commenter's name and an author's display name as HTML: on import it strips tags from
    # them and escapes a bare & (WordPress 6.1 stored "Ada <Reader>" as "Ada"), and it knows a comment it
    # already holds by its author's name as stored. Written as HTML, a name arrives whole and a second import
    # of the file finds the comment again instead of adding it twice.
    with app.app_context():
        article = make_article("names", published_at=NOON, author="Tom & <Jerry>")
        make_comment(article, "Hello.", author='Ada <Reader> & "Co"', created_at=NOON)
    text = export_site(runner, tmp_path)
    assert '<wp:comment_author><![CDATA[Ada &lt;Reader&gt; &amp; "Co"]]></wp:comment_author>\n' in text
    assert "<wp:author_display_name><![CDATA[Tom &amp; &lt;Jerry&gt;]]></wp:author_display_name>" in text
    articles, comments = import_elsewhere(app_config, tmp_path, text)
    assert articles["names"][1] == "Tom & <Jerry>"
    assert comments == [('Ada <Reader> & "Co"', "Hello.", "comment")]


def test_a_percent_sign_in_a_name_and_a_tags_name_arrive_whole(app, runner, tmp_path, app_config):
    # WordPress drops a % and two hex digits from a name as if they were URL-encoding (WordPress 6.1 stored
    # "100%ab Club" as "100 Club"), and keeps a tag's name as HTML, as it does every other name.
    with app.app_context():
        article = make_article("percent", published_at=NOON, author="50%ab Off", tags=["R&D <lab>"])
        make_comment(article, "Hello.", author="100%ab Club", created_at=NOON)
    text = export_site(runner, tmp_path)
    assert "<wp:comment_author><![CDATA[100&#037;ab Club]]></wp:comment_author>\n" in text
    assert "<wp:author_display_name><![CDATA[50&#037;ab Off]]></wp:author_display_name>" in text
    assert "<wp:tag_name><![CDATA[R&amp;D &lt;lab&gt;]]></wp:tag_name>" in text
    assert '<category domain="post_tag" nicename="r-d-lab"><![CDATA[R&amp;D &lt;lab&gt;]]></category>' in text
    articles, comments = import_elsewhere(app_config, tmp_path, text)
    assert articles["percent"][1] == "50%ab Off"
    assert comments == [("100%ab Club", "Hello.", "comment")]


def test_a_commenters_name_is_read_as_wordpress_stores_it(app, runner, tmp_path):
    path = make_wxr(tmp_path / "n.xml", wxr_item(1, "talk", comments=(wxr_comment(1, author="Tom &amp; Jerry"),)))
    result = import_wxr(runner, path)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(sa.select(Comment.author_name)).all() == ["Tom & Jerry"]


def test_dates_are_the_blogs_time_and_utc_which_are_one(app, runner, tmp_path):
    # The blog has no time zone setting and shows every date in UTC: its local time is UTC.
    evening = datetime(2020, 1, 2, 23, 30, tzinfo=timezone(timedelta(hours=2)))
    with app.app_context():
        make_comment(make_article("late", published_at=evening), created_at=evening + timedelta(minutes=5))
    text = export_site(runner, tmp_path)
    assert "<wp:post_date>2020-01-02 21:30:00</wp:post_date>\n" in text
    assert "<wp:post_date_gmt>2020-01-02 21:30:00</wp:post_date_gmt>\n" in text
    assert "<wp:comment_date>2020-01-02 21:35:00</wp:comment_date>\n" in text
    assert "<wp:comment_date_gmt>2020-01-02 21:35:00</wp:comment_date_gmt>\n" in text


def test_each_comment_field_is_on_its_own_line_and_every_comment_has_its_type(app, runner, tmp_path, app_config):
    with app.app_context():
        article = make_article("thread", published_at=NOON)
        first = make_comment(article, "First,\non two lines.", author="Ada", created_at=NOON)
        make_comment(article, "A reply.", author="Bea", parent=first, created_at=NOON)
        make_comment(article, "Linked here.", author="Other Blog", kind=CommentKind.PINGBACK, created_at=NOON)
    text = export_site(runner, tmp_path)
    blocks = re.findall(r"^<wp:comment>\n(.*?)^</wp:comment>$", text, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 3
    for block in blocks:
        # Every field opens a line and none shares it, in the order WordPress's own export writes them.
        assert re.findall(r"^<wp:(\w+)>", block, re.MULTILINE) == COMMENT_FIELDS
        assert all(line.count("<wp:") <= 1 for line in block.splitlines())
    assert "<wp:comment_content><![CDATA[First,\non two lines.]]></wp:comment_content>\n" in text
    types = re.findall(r"<wp:comment_type>(.*)</wp:comment_type>", text)
    assert sorted(types) == ["comment", "comment", "pingback"]
    _, comments = import_elsewhere(app_config, tmp_path, text)
    assert comments == [
        ("Ada", "First,\non two lines.", "comment"),
        ("Bea", "A reply.", "comment"),
        ("Other Blog", "Linked here.", "pingback"),
    ]


@pytest.mark.parametrize(
    "text, kept",
    [
        ("tab\tnewline\ncarriage\rreturn", "tab\tnewline\ncarriage\rreturn"),
        ("nul\x00 bell\x07 escape\x1b del\x7f", "nul bell escape del\x7f"),
        ("not characters \ufffe\uffff, a lone surrogate \ud800.", "not characters , a lone surrogate ."),
        ("Économie, 日本, 😀 \U0010fffd", "Économie, 日本, 😀 \U0010fffd"),
    ],
)
def test_xml_chars_keeps_what_xml_1_0_holds(text, kept):
    assert export.xml_chars(text) == kept


# -- HTML to Markdown --


@pytest.mark.parametrize(
    "html, markdown",
    [
        ("<h2>Title</h2>\n\nText", "## Title\n\nText\n"),
        ("One\ntwo\n\nThree", "One\\\ntwo\n\nThree\n"),
        ("<ul>\n<li>a</li>\n<li>b</li>\n</ul>", "- a\n- b\n"),
        ("<ol>\n<li>a</li>\n<li>b</li>\n</ol>", "1. a\n2. b\n"),
        (
            'Go <a href="https://example.org/">there</a>, <em>now</em> and <strong>fast</strong>.',
            "Go [there](https://example.org/), *now* and **fast**.\n",
        ),
        ("<blockquote>Said.</blockquote>", "> Said.\n"),
        ("<pre>x = 1\n\ny = 2</pre>", "```\nx = 1\n\ny = 2\n```\n"),
        (
            "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>",
            "| a | b |\n| --- | --- |\n| 1 | 2 |\n",
        ),
        (
            '[caption id="a" width="300"]<img src="https://x/y.jpg" alt="Alt" /> The caption[/caption]',
            '![Alt](https://x/y.jpg "The caption")\n',
        ),
        ('<iframe src="https://video.example/1"></iframe>', '<iframe src="https://video.example/1"></iframe>\n'),
        ("H<sub>2</sub>O", "H<sub>2</sub>O\n"),
        ("<h3>Top</h3>\n\n<h4>Below</h4>", "## Top\n\n### Below\n"),  # the title is the page's h1: ## comes first
        (
            '<dl class="wp-caption"><dt><img src="https://x/y.jpg" alt="Alt" /></dt><dd>Old caption</dd></dl>',
            '![Alt](https://x/y.jpg "Old caption")\n',
        ),
        ('[audio src="a.mp3"]', '[audio src="a.mp3"]\n'),
    ],
)
def test_html_becomes_markdown(html, markdown):
    assert convert.convert(html).markdown == markdown


def test_a_gallery_becomes_its_figures_and_unknown_shortcodes_are_listed():
    images = [convert.Image("https://x/1.jpg", "One", "First"), convert.Image("https://x/2.jpg", "Two")]
    done = convert.convert('[gallery ids="1,2"]\n\n[playlist ids="3"] [sic]', gallery=lambda attrs: images)
    assert '![One](https://x/1.jpg "First")' in done.markdown and "![Two](https://x/2.jpg)" in done.markdown
    assert done.shortcodes == ["playlist"]


def test_the_summary_comes_from_the_excerpt_or_the_more_tag():
    assert convert.convert("Intro here.<!--more-->Rest.").summary == "Intro here."
    assert convert.convert("Body.", "<p>The <b>excerpt</b>.</p>").summary == "The excerpt."
    assert convert.convert("Body.").summary == ""


# -- a 100 MB export --

LARGE_IMPORT = """
import json, resource, sys
from tests.conftest import app_with_tables, drop_app, settings_for
app = app_with_tables(settings_for(sys.argv[1], sys.argv[2]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = app.test_cli_runner().invoke(args=["import", "wxr", sys.argv[3]])
from blog.core.extensions import db
from blog.core.models import Comment
with app.app_context():
    stored = db.session.query(Comment).count()
drop_app(app)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"output": result.output, "stored": stored, "before_kib": before, "peak_kib": peak}))
"""


@pytest.mark.slow
def test_a_100_mb_export_imports_in_bounded_memory(db_url, content_dir, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.factories import make_large_wxr

    path = tmp_path / "large.xml"
    comments = make_large_wxr(path, 100)
    size = path.stat().st_size
    assert size >= 100 * 1024 * 1024
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run(
        [sys.executable, "-c", LARGE_IMPORT, db_url, str(content_dir), str(path)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert "posts: 500 created" in got["output"] and f"comments: {comments} created" in got["output"]
    assert got["stored"] == comments
    # The import reads the file item by item: it grows by far less than the file it reads.
    grown = (got["peak_kib"] - got["before_kib"]) * 1024
    print(f"{size / 2**20:.0f} MiB file: peak {got['peak_kib'] / 1024:.0f} MiB, grew {grown / 2**20:.0f} MiB")
    assert grown < size / 4
