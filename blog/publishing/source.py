"""Read one article file: its front matter, validated against a declared table of fields, and its body.

The reader is pure (a path in, data out) so that the publish command can check every file before it
stores anything, and so that the tests can call it on small fixture files.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from blog.publishing.files import ContentError, clip, quoted, read_file
from blog.publishing.frontmatter import parse_yaml, split_front_matter, yaml_error
from blog.publishing.tags import MAX_TAG_LENGTH, tag_slug

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
YEAR_RE = re.compile(r"[0-9]{4}")  # /<yyyy>/ is a year's archive (SPEC §8)
# Paths the application answers itself (SPEC §2, §8); an article there could never be reached, or would
# hide the blog's own page behind the page cache.
RESERVED_SLUGS = frozenset(
    {"admin", "avatar", "comments", "feed", "healthz", "media", "page", "search", "static", "tag", "unsubscribe"}
)


@dataclass(frozen=True)
class Source:
    """One article file, read and validated; ``body_start_line`` is the file line the body begins on."""

    path: Path
    metadata: dict[str, Any]
    body: str
    body_start_line: int
    lines: dict[str, int] = field(default_factory=dict)  # each front-matter key's line, for later errors

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)


# -- the fields: each converter takes the YAML value and returns the stored one or raises ValueError --


def _text(max_length: int) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("must be text")
        text = str(value).strip()
        if len(text) > max_length:
            raise ValueError(f"is too long (at most {max_length} characters)")
        return text

    return convert


def _required_text(max_length: int) -> Callable[[Any], str]:
    text = _text(max_length)

    def convert(value: Any) -> str:
        value = text(value)
        if not value:
            raise ValueError("must not be empty")
        return value

    return convert


def _timestamp(value: Any) -> datetime:
    """Return an ISO 8601 date or date-time as an aware UTC datetime (a date is midnight UTC)."""
    written = value
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"is not an ISO 8601 date or date-time: {quoted(value)} (write 2024-05-14 or 2024-05-14T09:30:00Z)"
            ) from None
    if not isinstance(value, datetime):
        raise ValueError(f"is not an ISO 8601 date or date-time: {quoted(value)}")
    # A date-time without a zone is taken as UTC, not as the publishing machine's zone.
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in the year 0 in UTC, which datetime cannot hold
        raise ValueError(f"is outside the years 1 to 9999 once in UTC: {quoted(written)}") from None


def _slug(value: Any) -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise ValueError(f"must be lowercase letters, digits and single hyphens, like my-first-post: {quoted(value)}")
    if len(value) > 200:
        raise ValueError("is too long (at most 200 characters)")
    if value in RESERVED_SLUGS:
        raise ValueError(f"{quoted(value)} is a path of the blog itself; choose another")
    if YEAR_RE.fullmatch(value):
        raise ValueError(f"{quoted(value)} is the path of a year's archive; choose another")
    return value


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):  # "travel, diplomacy" as well as a YAML list
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(t, str | int | float) for t in value):
        raise ValueError("must be a list of words, like [travel, diplomacy]")
    tags, slugs = [], set()
    for tag in (str(t).strip() for t in value):
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"{quoted(tag)} is too long (at most {MAX_TAG_LENGTH} characters)")
        slug = tag_slug(tag)
        if not slug:
            raise ValueError(f"{quoted(tag)} has no letter or digit a web address can carry (a-z, 0-9)")
        if slug not in slugs:  # "Travel Notes" and "travel-notes" are one tag: the first spelling is kept
            slugs.add(slug)
            tags.append(tag)
    return tags


def _choice(*allowed: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be {' or '.join(allowed)}, not {quoted(value)}")
        return value

    return convert


def _nav(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValueError(f"must be a whole number from 1 to 1000, the page's place in the navigation: {quoted(value)}")
    return value


@dataclass(frozen=True)
class Field:
    convert: Callable[[Any], Any]
    required: bool = False
    default: Any = None


FIELDS: dict[str, Field] = {
    "title": Field(_required_text(300), required=True),
    "type": Field(_choice("article", "page"), default="article"),
    "date": Field(_timestamp),  # required of an article (see validate); a page may have none
    "slug": Field(_slug),  # default: from the file name (see validate)
    "author": Field(_text(200), default=""),
    "summary": Field(_text(500), default=""),
    "tags": Field(_tags, default=()),
    "status": Field(_choice("published", "draft"), default="published"),
    "comments": Field(_choice("open", "closed")),  # default: open on an article, closed on a page
    "nav": Field(_nav),  # a page's place in the header navigation; none: not in it
}
# What a page does not have (SPEC §8): asking for it is a mistake to report, not a wish to ignore.
PAGE_ONLY = ("nav",)
ARTICLE_ONLY = ("tags",)


def slug_from_filename(path: Path) -> str:
    """Return the default slug of a file: its name, lowercased, with runs of other characters as hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")


def validate(raw: Any, path: Path, lines: dict[str, int]) -> tuple[dict[str, Any], list[ContentError]]:
    """Check the front matter against FIELDS; return the converted metadata and every problem found."""
    if not isinstance(raw, dict):
        return {}, [ContentError(path, 1, "front matter must be a mapping of fields, like `title: My post`")]
    errors = []
    metadata: dict[str, Any] = {}
    for key in raw:
        if key not in FIELDS:
            # A misspelt `staus: draft` must not publish a draft.
            known = ", ".join(FIELDS)
            errors.append(ContentError(path, lines.get(str(key), 1), f"unknown field {quoted(key)} (known: {known})"))
    for name, spec in FIELDS.items():
        if name not in raw or raw[name] is None:
            if spec.required:
                errors.append(ContentError(path, lines.get(name, 1), f"{name} is required"))
            elif spec.default is not None:
                metadata[name] = spec.convert(spec.default)  # a fresh value, never a shared list
            continue
        try:
            metadata[name] = spec.convert(raw[name])
        except ValueError as e:
            errors.append(ContentError(path, lines.get(name, 1), f"{name} {e}"))
    _check_kind(metadata, raw, path, lines, errors)
    if raw.get("slug") is None:
        slug = slug_from_filename(path)
        if not slug:
            errors.append(ContentError(path, 1, "the file name gives no slug; add `slug:` to the front matter"))
        else:
            try:  # the rules of a written slug: `feed.md` must not take /feed/ either
                metadata["slug"] = _slug(slug)
            except ValueError as e:
                fix = "rename the file or add `slug:` to the front matter"
                errors.append(ContentError(path, 1, f"slug from the file name {e} ({fix})"))
    return metadata, errors


def _check_kind(metadata: dict[str, Any], raw: dict, path: Path, lines: dict[str, int], errors: list) -> None:
    """Apply what differs between an article and a page: the date, the comments' default, tags and nav."""
    kind = metadata.get("type", "article")
    if kind == "article" and raw.get("date") is None:
        errors.append(ContentError(path, lines.get("date", 1), "date is required"))
    metadata.setdefault("date", None)
    metadata.setdefault("nav", None)
    metadata.setdefault("comments", "closed" if kind == "page" else "open")
    misplaced, other = (ARTICLE_ONLY, "an article") if kind == "page" else (PAGE_ONLY, "a page (type: page)")
    for name in misplaced:
        if raw.get(name) not in (None, [], ""):
            errors.append(ContentError(path, lines.get(name, 1), f"{name} is only for {other}; remove it"))
            metadata.pop(name, None)
    if kind == "page":
        metadata["tags"] = []


def read_source(path) -> Source:
    """Read one article file and validate its front matter.

    :raise ContentError: for the first problem; ``load`` lists them all.
    """
    source, errors = load(path)
    if errors:
        raise errors[0]
    assert source is not None
    return source


def load(path, data: bytes | None = None) -> tuple[Source | None, list[ContentError]]:
    """Read one article file; return the Source (None when unusable) and every problem found.

    :param data: the file's bytes when the caller has read them already (within its size limit).
    """
    path = Path(path)
    try:
        text = (read_file(path) if data is None else data).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return None, [ContentError(path, 1, f"is not UTF-8 text ({e.reason} at byte {e.start})")]
    except OSError as e:  # unreadable (permissions, a broken link): a problem of this file, not a crash
        return None, [ContentError(path, None, f"cannot be read: {e.strerror or e}")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = split_front_matter(text)
    if parts is None:
        return None, [
            ContentError(
                path,
                1,
                "no front matter: start the file with a `---` line, "
                "the fields (title, date, ...), then another `---` line",
            )
        ]
    yaml_text, yaml_line, body, body_line = parts
    try:
        raw, lines = parse_yaml(yaml_text, yaml_line)
    except yaml.YAMLError as e:
        return None, [yaml_error(e, path, yaml_line)]
    if raw is None:
        raw = {}
    first_lines: dict[str, int] = {}
    errors = []
    for key, line in lines:
        if key in first_lines:  # YAML would silently keep the last one
            errors.append(ContentError(path, line, f"{clip(key)} is given twice (first on line {first_lines[key]})"))
        first_lines.setdefault(key, line)
    metadata, invalid = validate(raw, path, first_lines)
    errors = sorted(errors + invalid, key=lambda e: e.line or 0)
    if errors:
        return None, errors
    return Source(path, metadata, body, body_line, first_lines), []
