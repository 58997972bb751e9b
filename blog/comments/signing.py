"""What the comments hand out signed, on itsdangerous under SECRET_KEY, one salt per purpose.

The pending link's hash and the avatar token are a keyed digest of a value (hex, 128 bits); the author
cookie is a signed serialisation of what the reader asked us to remember. The form token's signature
(csrf.py) is made here too, from a key derived once: a post checks it before anything else.
"""

import enum
import hashlib
import hmac
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, Signer, URLSafeSerializer
from itsdangerous.signer import HMACAlgorithm

DIGEST_LENGTH = 32  # hex characters of a digest in a URL


class Purpose(enum.Enum):
    """The salt of each thing signed: a digest made for one purpose is worthless for another.

    The salts are those the blog used before it signed with itsdangerous, so that links and avatars
    already handed out keep working.
    """

    PENDING_LINK = "blog.comments.moderation-hash"
    AVATAR = "blog.avatars.comment"
    AUTHOR_COOKIE = "blog.comments.author-cookie"
    FORM_TOKEN = "blog.csrf.comment-form"
    UNSUBSCRIBE = "blog.comments.unsubscribe"
    EDIT_COOKIE = "blog.comments.edit-cookie"


_SHA256 = HMACAlgorithm(hashlib.sha256)


def _signer(purpose: Purpose, secret: str | None = None) -> Signer:
    secret = current_app.config["SECRET_KEY"] if secret is None else secret
    return Signer(secret, salt=purpose.value, key_derivation="hmac", digest_method=hashlib.sha256, algorithm=_SHA256)


@lru_cache(maxsize=32)
def _key(purpose: Purpose, secret: str) -> bytes:
    # Derived once per purpose and secret, not on every signature: the comment post signs three times.
    return _signer(purpose, secret).derive_key()


def digest(purpose: Purpose, value: str) -> str:
    """Return the keyed digest of ``value`` for this purpose, as hex (what Signer.get_signature signs)."""
    key = _key(purpose, current_app.config["SECRET_KEY"])
    return _SHA256.get_signature(key, value.encode()).hex()[:DIGEST_LENGTH]


def matches(purpose: Purpose, value: str, given: str) -> bool:
    """Whether ``given`` is the digest of ``value`` for this purpose (in constant time)."""
    return hmac.compare_digest(given.encode(), digest(purpose, value).encode())


def signed_id(purpose: Purpose, comment_id: int, bound_to: str) -> str:
    """Return ``ID.DIGEST``: a comment's id, signed together with what it is bound to (never shown).

    The unsubscribe link binds the recipient's email key, so it works for that address only and never
    expires; the edit cookie binds the comment's creation time.
    """
    return f"{comment_id}.{digest(purpose, f'{comment_id}|{bound_to}')}"


def signed_id_of(value: str) -> tuple[int, str] | None:
    """Split ``ID.DIGEST`` into the id and the digest, or None if it does not read as one."""
    head, _, tail = (value or "").partition(".")
    if not (head.isdigit() and len(head) <= 10 and len(tail) == DIGEST_LENGTH):
        return None
    return int(head), tail


def form_token_key(secret: str) -> bytes:
    """Derive the form token's key from a SECRET_KEY (once per secret)."""
    return _key(Purpose.FORM_TOKEN, secret)


def form_token_signature(key: bytes, value: str) -> str:
    """Sign ``value`` with a key from form_token_key, as hex (pure: no app context needed)."""
    return _SHA256.get_signature(key, value.encode()).hex()


def _author_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=Purpose.AUTHOR_COOKIE.value)


def dump_author(data) -> str:
    """Return the author cookie's value holding ``data``."""
    return _author_serializer().dumps(data)


def load_author(value: str):
    """Return what an author cookie's value holds, or None if we did not sign it."""
    try:
        return _author_serializer().loads(value)
    except BadSignature:
        return None
