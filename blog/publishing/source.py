"""Read one article file: its front matter, validated against a declared table of fields, and its body.

The reader is pure (a path in, data out) so that the publish command can check every file before it
stores anything, and so that the tests can call it on small fixture files.
"""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

# Only the front-matter rule matters here; "zero" keeps the rest of the parse to bare paragraphs.
_front_matter_md = MarkdownIt("zero").use(front_matter_plugin)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Paths the application answers itself (SPEC §2, §8); an article there could never be reached, or would
# hide the blog's own page behind the page cache.
RESERVED_SLUGS = frozenset(
    {"admin", "avatar", "comments", "feed", "healthz", "media", "page", "search", "static", "tag", "unsubscribe"}
)
# An error message quotes what was written, but only this much of it: a 2 MB value must not become a
# 2 MB message.
QUOTE_LIMIT = 200
# Front matter is a flat list of fields; nothing real nests deeper, and PyYAML recurses per level.
MAX_YAML_DEPTH = 20


class ContentError(Exception):
    """A problem in an article file, reported as ``path:line: message`` (as compilers do)."""

    def __init__(self, path, line: int | None, message: str):
        super().__init__(message)
        self.path = Path(path)
        self.line = line  # None for a problem with the whole file or folder
        self.message = message

    def __str__(self) -> str:
        where = display_path(self.path) if self.line is None else f"{display_path(self.path)}:{self.line}"
        return f"{where}: {self.message}"


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Return ``text`` cut to at most ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(value: Any) -> str:
    """Return ``repr(value)`` cut to QUOTE_LIMIT characters, for an error message to quote."""
    return clip(repr(value))


class FileTooLarge(ValueError):
    """A file above the size it may have; nothing of it was read."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"is {format_size(size)}, above the limit of {format_size(limit)}")
        self.size = size
        self.limit = limit


def format_size(size: int) -> str:
    """Return a file size as people read it: ``48 bytes``, ``12.5 KB``, ``22.0 MB``."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def read_file(path: Path, max_bytes: int | None = None) -> bytes:
    """Return the bytes of a file, refusing it before reading anything when it is above ``max_bytes``.

    :raise FileTooLarge: when the file holds more than ``max_bytes`` (checked on the open file, so a
        file that grows after the check is still cut off).
    :raise OSError: when the file cannot be read.
    """
    with Path(path).open("rb") as f:
        if max_bytes is None:
            return f.read()
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            raise FileTooLarge(size, max_bytes)
        # Asking for the size read allocates only that much; one byte more tells a file that grew since.
        data = f.read(size + 1)
        if len(data) > size:
            data += f.read(max_bytes + 1 - len(data))
    if len(data) > max_bytes:
        raise FileTooLarge(len(data), max_bytes)
    return data


def display_path(path: Path) -> str:
    """Return the path relative to the working directory when it lies below it, as editors expect."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


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
    return value


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):  # "travel, diplomacy" as well as a YAML list
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(t, str | int | float) for t in value):
        raise ValueError("must be a list of words, like [travel, diplomacy]")
    tags = [str(t).strip() for t in value]
    return [t for i, t in enumerate(tags) if t and t not in tags[:i]]


def _choice(*allowed: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in allowed:
            # YAML 1.1 reads `no`/`off` as False: name the words we expect instead of echoing that.
            raise ValueError(f"must be {' or '.join(allowed)}, not {quoted(value)}")
        return value

    return convert


@dataclass(frozen=True)
class Field:
    convert: Callable[[Any], Any]
    required: bool = False
    default: Any = None


FIELDS: dict[str, Field] = {
    "title": Field(_required_text(300), required=True),
    "date": Field(_timestamp, required=True),
    "slug": Field(_slug),  # default: from the file name (see validate)
    "author": Field(_text(200), default=""),
    "summary": Field(_text(500), default=""),
    "tags": Field(_tags, default=()),
    "status": Field(_choice("published", "draft"), default="published"),
    "comments": Field(_choice("open", "closed"), default="open"),
}


def slug_from_filename(path: Path) -> str:
    """Return the default slug of a file: its name, lowercased, with runs of other characters as hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")


def split_front_matter(text: str) -> tuple[str, int, str, int] | None:
    """Return (yaml, yaml_first_line, body, body_first_line) with 1-based lines, or None without front matter."""
    tokens = _front_matter_md.parse(text)
    if not tokens or tokens[0].type != "front_matter":
        return None
    token = tokens[0]
    assert token.map is not None
    body_line = token.map[1]  # 0-based index of the first body line
    body = "".join(text.splitlines(keepends=True)[body_line:])
    return token.content, 2, body, body_line + 1


class _Refused(yaml.composer.ComposerError):
    """YAML that is valid but that front matter does not accept, at the line where it appears."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that dates stay text, and anchors, aliases and deep nesting are refused.

    The stock loader turns ``2024-13-45`` into a bare ValueError with no line, and a date-time without
    seconds into a string; parsing every date ourselves gives one rule and a ``path:line`` for each error.
    An alias repeats a whole value, so seven levels of nine in a 1 KB file expand to millions of strings
    (and a message quoting them to 72 MB); front matter has no use for them. Each nesting level costs
    PyYAML a recursion, so a few thousand brackets would end in a RecursionError.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                None,
                None,
                "uses a YAML anchor or alias (&name or *name); write each value out instead",
                event.start_mark,
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise _Refused(None, None, f"nests deeper than {MAX_YAML_DEPTH} levels", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(yaml_text: str, first_line: int) -> tuple[Any, list[tuple[str, int]]]:
    """Return the front matter's data and the file line of each top-level key, so errors can point at it.

    :raise yaml.YAMLError: when the text is not YAML.
    """
    loader = _Loader(yaml_text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    if not isinstance(node, yaml.MappingNode):
        return data, []
    return data, [(str(k.value), first_line + k.start_mark.line) for k, _ in node.value]


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


def _yaml_error(e: yaml.YAMLError, path: Path, yaml_line: int) -> ContentError:
    """Report broken YAML on the line YAML names, with where its context began when that helps."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = clip(getattr(e, "problem", None) or str(e))
    context, context_mark = getattr(e, "context", None), getattr(e, "context_mark", None)
    if context and context_mark is not None and mark is not context_mark:
        # YAML notices the problem where it gives up; the cause is often where the context began.
        problem += f" ({context} that starts on line {yaml_line + context_mark.line})"
    line = yaml_line + mark.line if mark is not None else 1
    if isinstance(e, _Refused):
        return ContentError(path, line, f"front matter {problem}")
    return ContentError(path, line, f"front matter is not valid YAML: {problem}")


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
        return None, [_yaml_error(e, path, yaml_line)]
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
