"""Avatars drawn here from a keyed hash of the comment: no third-party request, nothing to compare.

Gravatar puts an unsalted hash of the email in every page, which anyone can reverse by hashing a list of
addresses. Even a keyed hash of the email gives one picture per address, so an outsider who posts with a
guessed address (the pending preview shows its avatar) could tell whether that address wrote a published
comment. The token is therefore an HMAC of the comment's id under the site's secret key: each comment
has a picture of its own, the same forever, and the picture is drawn from the token alone, so the avatar
route needs no database and says nothing about who wrote what.
"""

import re

from blog.comments.signing import Purpose, digest

TOKEN = re.compile(r"^[0-9a-f]{32}$")
GRID = 5
SIZE = 48


def token_for(comment_id: int) -> str:
    """Return the avatar token of a comment: a keyed hash of its id, unrelated to its author's email."""
    return digest(Purpose.AVATAR, str(comment_id))


def pattern(token: str) -> tuple[str, list[tuple[int, int]]]:
    """Return the colour and the filled cells of a symmetric 5x5 pattern, both from the token's bits."""
    bits = bytes.fromhex(token)
    hue = int.from_bytes(bits[:2], "big") % 360
    # Dark enough for a 3:1 contrast against the light background (WCAG non-text contrast).
    fill = f"hsl({hue},55%,38%)"
    cells = []
    for row in range(GRID):
        for col in range((GRID + 1) // 2):
            index = row * 3 + col
            if bits[2 + index // 8] >> (index % 8) & 1:
                cells.append((col, row))
                if col != GRID - 1 - col:
                    cells.append((GRID - 1 - col, row))
    if not cells:  # an empty picture would look broken
        cells.append((GRID // 2, GRID // 2))
    return fill, sorted(cells)
