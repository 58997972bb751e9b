"""What commenters type, in the forms the rules compare: the same words, the same address, the same name.

Letter case, doubled spaces and invisible characters change nothing a reader sees, so they must change
nothing the duplicate, flood and impersonation rules decide either. Nothing here alters what is stored
or shown; these forms are only compared.
"""

import hashlib
import re
import unicodedata
from functools import lru_cache

# Characters that show nothing: format characters (zero-width spaces and joiners, the byte-order mark,
# soft hyphen, word joiner, the text-direction controls), fillers that render as blank, variation
# selectors and tags. Spaces are not here: they are whitespace, collapsed rather than removed.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U000e0000-\U000e0fff]"
)
# Controls that reorder the text around them: a name holding one can show as something else entirely.
BIDI_CONTROL = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def comparable_text(text: str) -> str:
    """Return the text as the duplicate rule compares it: compatibility forms folded (full-width
    letters), invisible characters removed, case folded, every run of whitespace one space."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return " ".join(text.casefold().split())


def text_fingerprint(text: str) -> str:
    """Return the hash of a comment's comparable text, stored with it (Comment.text_fingerprint)."""
    return hashlib.sha256(comparable_text(text).encode("utf-8", "surrogatepass")).hexdigest()


def email_key(email: str) -> str:
    """Return the email as the duplicate and flood rules compare it (Comment.author_email_key).

    Lower case throughout: a local part that differs only in case is one person to these rules, which
    only ever refuse; auto-approval (`previously-approved`) still asks for the address as stored.
    """
    return (email or "").strip().lower()


# Letters that look like Latin ones (after case folding): the common Cyrillic and Greek look-alikes, and
# the digits and letters that pass for one another in most fonts. A small table in the spirit of Unicode's
# confusables (UTS #39), enough for the names a reader could pass off as a moderator's.
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "ь": "b", "с": "c", "ԁ": "d", "е": "e", "г": "r", "һ": "h", "н": "h",
        "і": "l", "ј": "j", "к": "k", "ӏ": "l", "м": "m", "п": "n", "о": "o", "р": "p", "ԛ": "q",
        "ѕ": "s", "т": "t", "у": "y", "ԝ": "w", "х": "x",
        # Greek
        "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "l", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
        # Latin and digits
        "ı": "l", "i": "l", "ɑ": "a", "ȷ": "j", "1": "l", "|": "l", "0": "o",
    }
)  # fmt: skip
_SEPARATORS = re.compile(r"[\W_]+")


@lru_cache(maxsize=1024)  # every post compares its name with each moderator's: theirs are the same each time
def name_skeleton(name: str) -> str:
    """Return what a name looks like, for comparing it with the moderators' names: compatibility forms
    and case folded, invisible characters, accents, spaces and punctuation dropped, look-alike letters
    mapped to one ("mоd" with a Cyrillic о, "M o d." and "ｍｏｄ" all read "mod")."""
    name = INVISIBLE.sub("", unicodedata.normalize("NFKC", name)).casefold()
    name = "".join(ch for ch in unicodedata.normalize("NFD", name) if not unicodedata.combining(ch))
    name = _SEPARATORS.sub("", name.translate(_LOOKALIKES))
    return name.replace("rn", "m").replace("vv", "w")


def has_visible(text: str) -> bool:
    """Tell whether a short field (a name) shows anything once invisible characters are taken out."""
    return any(not ch.isspace() for ch in INVISIBLE.sub("", text))


_DIGITS = re.compile(r"\d+")
_WORDS = re.compile(r"[^\W_]+")


def text_shape(text: str) -> str:
    """Return a short hash of the text's words with case, spacing, digits and punctuation dropped.

    "Get FREE codes 1 at zq1.example" and "get free codes 2 at zq2.example" share it: the spam filter's
    repetition feature counts recent comments of the same shape (Comment.text_shape, indexed).
    """
    words = _WORDS.findall(_DIGITS.sub("", comparable_text(text)))
    if not words:
        return ""
    return hashlib.blake2b(" ".join(words).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
