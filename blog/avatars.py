"""Avatars drawn here from a keyed hash of the email: no third-party request, no guessable hash.

Gravatar puts an unsalted hash of the email in every page, which anyone can reverse by hashing a list of
addresses. Our token is an HMAC under the site's secret key, and the picture is drawn from the token
alone, so the avatar route needs no database and the email never leaves the server.
"""

import hashlib
import hmac
import re

from flask import current_app

TOKEN = re.compile(r"^[0-9a-f]{32}$")
GRID = 5
SIZE = 48


def token_for(email: str) -> str:
    """Return the avatar token of an email address: a keyed hash, the same for every spelling of it."""
    secret = current_app.config["SECRET_KEY"].encode()
    key = hmac.new(secret, b"blog.avatars", hashlib.sha256).digest()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


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
