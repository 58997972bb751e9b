"""A tag's URL slug: the one derivation, for publishing, linking and looking up.

A module of its own, without the Markdown and YAML that reading the source files needs, so that the
pages and feeds that link to tags do not import them into every web worker.
"""

import re
import unicodedata

MAX_TAG_LENGTH = 100


def tag_slug(name: str) -> str:
    """Return the URL slug of a tag: lower case, ASCII-folded, runs of other characters as one hyphen.

    The one derivation of a tag's slug, for storing, linking and looking up: ``Économie`` → ``economie``,
    ``Travel Notes`` and ``travel-notes`` → ``travel-notes``. NFKD splits accented letters into a base
    letter and a combining mark, and the marks are dropped; a tag with no ASCII letter or digit left
    gives ``""``.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:MAX_TAG_LENGTH]
