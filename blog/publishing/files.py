"""An article file read safely, and a problem in it reported as ``path:line: message``.

Every message quotes at most QUOTE_LIMIT characters of what was written, and no file is read past
the size its caller allows, so a hostile file costs a line of output and a bounded read.
"""

import os
from pathlib import Path
from typing import Any

# An error message quotes what was written, but only this much of it: a 2 MB value must not become a
# 2 MB message.
QUOTE_LIMIT = 200


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


class ContentErrors(ContentError):
    """Every problem one step found in a file (each missing image of an article), so that a run reports
    them all at once; it reads as the first of them."""

    def __init__(self, errors: list[ContentError]):
        super().__init__(errors[0].path, errors[0].line, errors[0].message)
        self.errors = errors


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


def find_files(content_dir: Path) -> list[Path]:
    """Return every article file under the content folder, in a stable order (hidden folders skipped).

    A link named like an article is returned too (even a dangling one), for ``prepare`` to refuse.
    """
    return sorted(
        path
        for path in content_dir.rglob("*.md")
        if (path.is_symlink() or path.is_file())
        and not any(part.startswith(".") for part in path.relative_to(content_dir).parts)
    )


def linked_media(images_dir: Path) -> list[ContentError]:
    """Report every symbolic link inside the images folder: /media/ never follows one (blog/reading/media.py)."""
    errors = []
    # followlinks=False: a linked folder is listed, never entered.
    for folder, dirs, files in os.walk(images_dir):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(folder, name)
            if path.is_symlink():
                errors.append(
                    ContentError(
                        path,
                        None,
                        f"is a symbolic link; /media/ serves only the files inside {images_dir.name}/, "
                        "so copy the file in instead",
                    )
                )
    return errors


def read_article(path: Path, max_bytes: int) -> bytes:
    """Return the bytes of an article file, refusing a link and, before reading it, a file too large.

    :raise ContentError: for a link or a file above ``max_bytes``.
    :raise OSError: when the file cannot be read.
    """
    if path.is_symlink():
        # Published, a link would show readers whatever it points at, inside the content folder or not.
        raise ContentError(
            path,
            1,
            f"is a symbolic link (to {clip(os.readlink(path))}); "
            "only files inside the content folder are published, so copy it in",
        )
    try:
        return read_file(path, max_bytes)
    except FileTooLarge as e:
        raise ContentError(path, 1, f"{e} (FLASK_MAX_ARTICLE_BYTES); split it or raise the limit") from None
