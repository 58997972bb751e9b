"""Labelled comments from CSV files laid out as the YouTube Spam Collection is: ``CONTENT`` and ``CLASS``
(or ``TAG``), 1 for spam; ``AUTHOR`` when present."""

import csv
from dataclasses import dataclass
from pathlib import Path

from blog.core.normalise import text_shape
from blog.core.sanitize import clean_comment
from blog.spam.store import Example


@dataclass(frozen=True)
class Labelled:
    example: Example
    is_spam: bool
    source: str  # the file it came from (for the collection, one video)


class CorpusError(ValueError):
    """A file that is not a labelled corpus; the message says what is wrong."""


def read(path: Path, *, with_authors: bool = True) -> list[Labelled]:
    """Return the labelled comments of one CSV file.

    :raise CorpusError: no ``CONTENT`` column, no label column, or a label that is not 0 or 1.
    """
    rows = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = set(reader.fieldnames or ())
        label = "CLASS" if "CLASS" in columns else "TAG" if "TAG" in columns else None
        if "CONTENT" not in columns or label is None:
            raise CorpusError(f"{path}: needs the columns CONTENT and CLASS (or TAG)")
        for line, row in enumerate(reader, start=2):
            value = (row[label] or "").strip()
            if value not in ("0", "1"):
                raise CorpusError(f"{path}:{line}: {label} must be 0 or 1, not {value!r}")
            text = (row["CONTENT"] or "").replace("\ufeff", "").strip()
            author = (row.get("AUTHOR") or "") if with_authors else ""
            example = Example(text, clean_comment(text), author=author, shape=text_shape(text))
            rows.append(Labelled(example, value == "1", path.stem))
    return rows
