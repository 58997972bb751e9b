"""Hostile content folders (issue 11, findings 10 and 11): each ends in ``path:line: message``.

Never a traceback, a hang or a memory blow-up, and nothing of the run is published. Symbolic links
are refused at publish and never followed by /media/.
"""

import shutil
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Article

FIXTURES = Path(__file__).resolve().parent / "content"
NOTHING = "Nothing was published: fix the {} problem(s) above and run it again."
MB = 1024 * 1024


def add_fixtures(content_dir: Path, *names: str) -> None:
    for name in names:
        shutil.copy(FIXTURES / name, content_dir / name)
    shutil.copytree(FIXTURES / "images", content_dir / "images", dirs_exist_ok=True)


def stored(app) -> dict[str, int]:
    with app.app_context():
        return {a.slug: a.version for a in db.session.scalars(sa.select(Article))}


def publish_refused(app, runner) -> list[str]:
    """Run ``flask content publish``; check it failed, briefly, storing nothing; return its messages."""
    before = stored(app)
    result = runner.invoke(args=["content", "publish"])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output and len(result.stderr) < 2000
    *messages, last = result.stderr.splitlines()
    assert last == NOTHING.format(len(messages))
    assert stored(app) == before  # not even the good file of the run
    return messages


def peak_memory_of(publish) -> int:
    """Return the most memory Python held while ``publish`` ran, in bytes."""
    tracemalloc.start()
    try:
        publish()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "feed.md",
            "1: slug from the file name 'feed' is a path of the blog itself; choose another "
            "(rename the file or add `slug:` to the front matter)",
        ),
        (
            "overflowing-date.md",
            "3: date is outside the years 1 to 9999 once in UTC: '0001-01-01T00:00:00+23:59'",
        ),
        (
            "yaml-alias-bomb.md",
            "4: front matter uses a YAML anchor or alias (&name or *name); write each value out instead",
        ),
    ],
)
def test_a_hostile_file_is_one_message(app, runner, content_dir, name, message):
    add_fixtures(content_dir, "with-caption.md", name)
    assert publish_refused(app, runner) == [f"{content_dir / name}:{message}"]


def test_an_article_above_the_size_limit_is_refused_unread(app, runner, content_dir):
    add_fixtures(content_dir, "with-caption.md")
    assert runner.invoke(args=["content", "publish"]).exit_code == 0  # every module loaded, for a fair peak
    big = content_dir / "big.md"
    big.write_text("---\ntitle: Big\ndate: 2024-01-01\n---\n")
    with big.open("r+b") as f:
        f.truncate(22 * MB)  # sparse: 22 MB on paper, nothing on disk
    messages = []
    assert peak_memory_of(lambda: messages.extend(publish_refused(app, runner))) < 4 * MB  # never held the file
    assert messages == [
        f"{big}:1: is 22.0 MB, above the limit of 2.0 MB (FLASK_MAX_ARTICLE_BYTES); split it or raise the limit"
    ]


@pytest.mark.parametrize("extra", [0, 1])
def test_the_size_limit_is_a_setting(app_config, content_dir, extra, request):
    text = "---\ntitle: Sized\ndate: 2024-01-01\n---\nBody.\n"
    (content_dir / "sized.md").write_text(text)
    app_config["MAX_ARTICLE_BYTES"] = len(text) - extra
    app = request.getfixturevalue("app")
    runner = app.test_cli_runner()
    if extra:
        assert publish_refused(app, runner) == [
            f"{content_dir / 'sized.md'}:1: is {len(text)} bytes, above the limit of {len(text) - 1} bytes "
            "(FLASK_MAX_ARTICLE_BYTES); split it or raise the limit"
        ]
    else:
        assert (
            runner.invoke(args=["content", "publish"]).stdout
            == "created 1, updated 0, unchanged 0, draft 0, scheduled 0, withdrawn 0\n"
        )


def test_a_linked_article_is_refused(app, runner, content_dir, tmp_path):
    outside = tmp_path / "outside.md"
    shutil.copy(FIXTURES / "draft.md", outside)
    (content_dir / "linked.md").symlink_to(outside)
    add_fixtures(content_dir, "with-caption.md")
    assert publish_refused(app, runner) == [
        f"{content_dir / 'linked.md'}:1: is a symbolic link (to {outside}); "
        "only files inside the content folder are published, so copy it in"
    ]


def test_a_dangling_linked_article_is_refused(app, runner, content_dir, tmp_path):
    (content_dir / "gone.md").symlink_to(tmp_path / "no-such-file.md")
    add_fixtures(content_dir, "with-caption.md")
    assert publish_refused(app, runner) == [
        f"{content_dir / 'gone.md'}:1: is a symbolic link (to {tmp_path / 'no-such-file.md'}); "
        "only files inside the content folder are published, so copy it in"
    ]


# -- /media/: links refused at publish, never followed when serving --


@pytest.fixture
def linked_media(content_dir, tmp_path):
    """The images folder holding a linked folder and two linked files, one of them to a file inside it."""
    outside = tmp_path / "etc"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0\n")
    add_fixtures(content_dir, "with-caption.md")
    images = content_dir / "images"
    (images / "etc-dir").symlink_to(outside, target_is_directory=True)
    (images / "passwd.png").symlink_to(outside / "passwd")
    (images / "alias.png").symlink_to(images / "red.png")
    return images


def test_links_in_the_images_folder_are_refused_at_publish(app, runner, linked_media, tmp_path):
    refusal = "is a symbolic link; /media/ serves only the files inside images/, so copy the file in instead"
    assert publish_refused(app, runner) == [
        f"{linked_media / name}: {refusal}" for name in ("alias.png", "etc-dir", "passwd.png")
    ]


@pytest.mark.parametrize("path", ["/media/etc-dir/passwd", "/media/passwd.png", "/media/alias.png"])
def test_media_never_follows_a_link(client, linked_media, path):
    with client.get(path) as response:
        assert response.status_code == 404


def test_media_still_serves_its_own_files(client, linked_media):
    with client.get("/media/red.png") as response:
        assert response.status_code == 200
        assert response.data == (linked_media / "red.png").read_bytes()


def test_media_serves_from_a_linked_content_folder(app_config, content_dir, tmp_path, request):
    # The content folder itself (or its images folder) may be a link the site's owner set up.
    link = tmp_path / "site-content"
    link.symlink_to(content_dir, target_is_directory=True)
    add_fixtures(content_dir, "with-caption.md")
    app_config["CONTENT_DIR"] = str(link)
    with request.getfixturevalue("client").get("/media/red.png") as response:
        assert response.status_code == 200


# -- images: too big to read, or too many pixels to decode --


def png_header(width: int, height: int) -> bytes:
    """Return a PNG that claims ``width`` × ``height`` pixels in a few dozen bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def write_article_showing(content_dir: Path, image: str) -> Path:
    path = content_dir / "shows-it.md"
    path.write_text(f"---\ntitle: Shows it\ndate: 2024-01-01\n---\n\n![It]({image})\n")
    return path


@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (20_000, 20_000)])
def test_a_decompression_bomb_is_refused(app, runner, content_dir, width, height):
    # 100 million pixels is above Pillow's limit (a warning); 400 million twice above it (an error).
    add_fixtures(content_dir, "with-caption.md")
    (content_dir / "images" / "bomb.png").write_bytes(png_header(width, height))
    article = write_article_showing(content_dir, "images/bomb.png")
    assert publish_refused(app, runner) == [
        f"{article}:6: image images/bomb.png has more pixels than can be decoded safely (at most 89,478,485)"
    ]


def test_an_image_above_the_size_limit_is_refused_unread(app, runner, content_dir):
    add_fixtures(content_dir, "with-caption.md")
    assert runner.invoke(args=["content", "publish"]).exit_code == 0  # every module loaded, for a fair peak
    huge = content_dir / "images" / "huge.png"
    huge.write_bytes(png_header(8, 6))
    with huge.open("r+b") as f:
        f.truncate(30 * MB)
    article = write_article_showing(content_dir, "images/huge.png")
    messages = []
    assert peak_memory_of(lambda: messages.extend(publish_refused(app, runner))) < 4 * MB  # never held the file
    assert messages == [f"{article}:6: image images/huge.png is 30.0 MB, above the limit of 20.0 MB"]
