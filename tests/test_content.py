"""Reading an article file: front matter validated as data, errors as path:line: message."""

from datetime import UTC, datetime

import pytest

from blog.publishing.files import ContentError
from blog.publishing.source import load, read_source


def write(tmp_path, front_matter: str, body: str = "Body.\n", name: str = "post.md"):
    path = tmp_path / name
    path.write_text(f"---\n{front_matter}---\n{body}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("front_matter", "field", "value"),
    [
        ("title: T\ndate: 2024-05-14\n", "date", datetime(2024, 5, 14, tzinfo=UTC)),
        ("title: T\ndate: 2024-05-14T09:30:00Z\n", "date", datetime(2024, 5, 14, 9, 30, tzinfo=UTC)),
        ("title: T\ndate: 2024-05-14T11:30:00+02:00\n", "date", datetime(2024, 5, 14, 9, 30, tzinfo=UTC)),
        ("title: T\ndate: '2024-05-14 09:30'\n", "date", datetime(2024, 5, 14, 9, 30, tzinfo=UTC)),
        ("title: T\ndate: 2024-05-14\n", "slug", "my-first-post"),
        ("title: T\ndate: 2024-05-14\nslug: chosen-slug\n", "slug", "chosen-slug"),
        ("title: '  Spaced  '\ndate: 2024-05-14\n", "title", "Spaced"),
        ("title: 1984\ndate: 2024-05-14\n", "title", "1984"),
        ("title: T\ndate: 2024-05-14\n", "tags", []),
        ("title: T\ndate: 2024-05-14\ntags: [a, b, a]\n", "tags", ["a", "b"]),
        ("title: T\ndate: 2024-05-14\ntags: travel, diplomacy\n", "tags", ["travel", "diplomacy"]),
        ("title: T\ndate: 2024-05-14\n", "status", "published"),
        ("title: T\ndate: 2024-05-14\nstatus: draft\n", "status", "draft"),
        ("title: T\ndate: 2024-05-14\n", "comments", "open"),
        ("title: T\ndate: 2024-05-14\ncomments: closed\n", "comments", "closed"),
        ("title: T\ndate: 2024-05-14\n", "author", ""),
        ("title: T\ndate: 2024-05-14\n", "type", "article"),
        ("title: T\ndate: 2024-05-14\n", "nav", None),
        # A page may have no date, and its comments are closed unless it opens them (SPEC §8).
        ("title: About\ntype: page\n", "date", None),
        ("title: About\ntype: page\n", "comments", "closed"),
        ("title: About\ntype: page\ncomments: open\n", "comments", "open"),
        ("title: About\ntype: page\nnav: 2\n", "nav", 2),
        ("title: Yes\ndate: 2024-05-14\n", "title", "Yes"),
        ("title: T\ndate: 2024-05-14\nauthor: Ada\nsummary: >-\n  Folded\n  text.\n", "summary", "Folded text."),
    ],
)
def test_fields(tmp_path, front_matter, field, value):
    source = read_source(write(tmp_path, front_matter, name="My First Post.md"))
    assert source.metadata[field] == value


def test_body_and_its_first_line(tmp_path):
    source = read_source(write(tmp_path, "title: T\ndate: 2024-05-14\n", "\n# Heading\n"))
    assert source.body == "\n# Heading\n"
    assert source.body_start_line == 5
    assert source.line_of("date") == 3


@pytest.mark.parametrize(
    ("front_matter", "line", "message"),
    [
        ("date: 2024-05-14\n", 1, "title is required"),
        ("title:\ndate: 2024-05-14\n", 2, "title is required"),
        ("title: ''\ndate: 2024-05-14\n", 2, "title must not be empty"),
        ("title: [a, b]\ndate: 2024-05-14\n", 2, "title must be text"),
        ("title: T\n", 1, "date is required"),
        ("title: T\ndate: 2024-13-45\n", 3, "date is not an ISO 8601 date or date-time: '2024-13-45'"),
        ("title: T\ndate: yesterday\n", 3, "date is not an ISO 8601 date or date-time: 'yesterday'"),
        ("title: T\ndate: 2024\n", 3, "date is not an ISO 8601 date or date-time: 2024"),
        ("title: T\ndate: 2024-05-14\nstatus: public\n", 4, "status must be published or draft, not 'public'"),
        ("title: T\ndate: 2024-05-14\ncomments: no\n", 4, "comments must be open or closed, not 'no'"),
        # YAML 1.1 reads no and off as False; the message quotes the word as written.
        ("title: T\ndate: 2024-05-14\nstatus: no\n", 4, "status must be published or draft, not 'no'"),
        ("title: T\ndate: 2024-05-14\nstatus: Off\n", 4, "status must be published or draft, not 'Off'"),
        ("title: T\ndate: 2024-05-14\ntype: post\n", 4, "type must be article or page, not 'post'"),
        ("title: T\ntype: page\nnav: first\n", 4, "nav must be a whole number from 1 to 1000"),
        ("title: T\ntype: page\nnav: 0\n", 4, "nav must be a whole number from 1 to 1000"),
        ("title: T\ndate: 2024-05-14\nnav: 1\n", 4, "nav is only for a page (type: page); remove it"),
        ("title: T\ntype: page\ntags: [a]\n", 4, "tags is only for an article; remove it"),
        ("title: T\ndate: 2024-05-14\nslug: Not A Slug\n", 4, "slug must be lowercase letters"),
        ("title: T\ndate: 2024-05-14\nslug: admin\n", 4, "slug 'admin' is a path of the blog itself"),
        ("title: T\ndate: 2024-05-14\ntags: {a: 1}\n", 4, "tags must be a list of words"),
        ("title: T\ndate: 2024-05-14\nstaus: draft\n", 4, "unknown field 'staus'"),
        ("title: T\ndate: 2024-05-14\ntitle: U\n", 4, "title is given twice (first on line 2)"),
        # Broken YAML is reported on the line YAML names: here the end of the front matter.
        ("title: T\ndate: 2024-05-14\ntags: [a, b\n", 4, "front matter is not valid YAML"),
        ("title: 'unclosed\ndate: 2024-05-14\n", 3, "front matter is not valid YAML"),
        ("- a list\n- not a mapping\n", 1, "front matter must be a mapping of fields"),
        # Hostile front matter (issue 11): refused with a line, never a traceback or a blow-up.
        ("title: T\ndate: 2024-05-14\nslug: &s my-post\n", 4, "front matter uses a YAML anchor or alias"),
        ("t: &t T\ntitle: *t\ndate: 2024-05-14\n", 2, "front matter uses a YAML anchor or alias"),
        ("title: T\ndate: '9999-12-31T23:59:59-00:01'\n", 3, "date is outside the years 1 to 9999 once in UTC"),
        ("title: T\ndate: 0001-01-01T00:00:00+00:01\n", 3, "date is outside the years 1 to 9999 once in UTC"),
        ("title: T\ndate: 2024-05-14\ntags: " + "[" * 1000 + "]" * 1000 + "\n", 4, "front matter nests deeper"),
    ],
)
def test_errors(tmp_path, front_matter, line, message):
    path = write(tmp_path, front_matter)
    source, errors = load(path)
    assert source is None
    assert [(e.path, e.line) for e in errors][:1] == [(path, line)]
    assert errors[0].message.startswith(message)
    with pytest.raises(ContentError):
        read_source(path)


def test_every_problem_is_reported_in_line_order(tmp_path):
    _, errors = load(write(tmp_path, "status: public\ndate: soon\n"))
    assert [(e.line, e.message.split()[0]) for e in errors] == [(1, "title"), (2, "status"), (3, "date")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# No front matter\n", "no front matter"),
        ("---\ntitle: never closed\n", "no front matter"),
    ],
)
def test_front_matter_is_required(tmp_path, text, message):
    path = tmp_path / "post.md"
    path.write_text(text)
    _, errors = load(path)
    assert [(e.line, e.message.split(":")[0]) for e in errors] == [(1, message)]


def test_not_utf8(tmp_path):
    path = tmp_path / "post.md"
    path.write_bytes(b"---\ntitle: caf\xe9\n---\n")
    _, errors = load(path)
    assert errors[0].message.startswith("is not UTF-8 text")


def test_windows_newlines_and_a_byte_order_mark(tmp_path):
    path = tmp_path / "post.md"
    path.write_bytes("\ufeff---\r\ntitle: T\r\ndate: 2024-05-14\r\n---\r\nBody.\r\n".encode())
    source = read_source(path)
    assert (source.metadata["title"], source.body, source.body_start_line) == ("T", "Body.\n", 5)


def test_error_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "content").mkdir()
    path = write(tmp_path / "content", "date: 2024-05-14\n")
    assert str(load(path)[1][0]) == "content/post.md:1: title is required"
    assert str(ContentError(tmp_path / "content", None, "no such folder")) == "content: no such folder"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("feed.md", "slug from the file name 'feed' is a path of the blog itself"),
        ("Admin.md", "slug from the file name 'admin' is a path of the blog itself"),
        ("media.md", "slug from the file name 'media' is a path of the blog itself"),
        ("x" * 201 + ".md", "slug from the file name is too long (at most 200 characters)"),
    ],
)
def test_a_slug_from_the_file_name_is_checked_as_a_written_one(tmp_path, name, message):
    path = write(tmp_path, "title: T\ndate: 2024-05-14\n", name=name)
    _, errors = load(path)
    assert [(e.line, e.message) for e in errors] == [
        (1, f"{message}; choose another (rename the file or add `slug:` to the front matter)")
        if "path of the blog" in message
        else (1, f"{message} (rename the file or add `slug:` to the front matter)")
    ]


def test_a_quoted_value_is_cut_short(tmp_path):
    # A message quotes what was written, but never more than 200 characters of it.
    _, errors = load(write(tmp_path, f"title: T\ndate: 2024-05-14\nstatus: {'x' * 100_000}\n"))
    assert [e.message for e in errors] == ["status must be published or draft, not '" + "x" * 198 + "…"]
