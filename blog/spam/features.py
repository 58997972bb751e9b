"""What the spam filter looks at in a comment: named features, each with a value.

Words, character n-grams, the domains its links point to, the website field, the name, a little of its
shape, and how often the same text (digits aside) came recently from elsewhere. A feature keeps its name
so that a verdict can say which ones weighed most; the model stores weights by the name's hash.
"""

import math
import re
from urllib.parse import urlsplit
from zlib import crc32

from blog.core.normalise import comparable_text
from blog.core.sanitize import plain_text

BUCKETS = 1 << 18  # hashed feature space: 2^18 weights, 1 MiB as float32
NGRAMS = (3, 4)  # character n-grams; measured with scripts/spam_report.py
_MASK = BUCKETS - 1
MAX_CHARS = 2000  # longer comments are judged on their beginning (spam says what it wants early)

_WORD = re.compile(r"[^\W_]+")
_HREF = re.compile(r'href="([^"]+)"')
_LINK = re.compile(r"<a [^>]*>([^<]*)</a>")
_ADDRESS = re.compile(r"\S*[./]\S*")  # link text that is an address (it has a dot or a slash, no space)


def _host(url: str) -> str:
    try:
        host = (urlsplit(url if "//" in url else "http://" + url).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _site(host: str) -> str:
    """Return the last two labels of a host name: what a spammer registers (``x.freepsnpoints.com``)."""
    return ".".join(host.split(".")[-2:])


# The repetition feature's buckets end here: ten copies or a thousand read the same.
REPEATS_COUNTED = 10


def _bucket(count: int) -> str:
    return str(count) if count < 3 else "3+" if count < REPEATS_COUNTED else "10+"


def extract(text: str, html: str, author: str = "", url: str = "", repeats: int = 0) -> dict[str, float]:
    """Return the named features of a comment and their values.

    :param html: the text as cleaned (blog/core/sanitize.py): its links are the ones it shows.
    :param repeats: how many recent comments elsewhere (another article, another address) share its shape.
    """
    # A link's address is read as its domain (below), not as words: "https", "com" and "www" say only
    # that there is a link, which the link features say already.
    shown = _LINK.sub(lambda m: " " if _ADDRESS.fullmatch(m.group(1)) else m.group(1), html[: MAX_CHARS * 4])
    plain = comparable_text(plain_text(shown))[:MAX_CHARS]
    words = _WORD.findall(plain)
    features: dict[str, float] = {"bias": 1.0}
    # Words and pairs of words, each counted once, scaled so that a long comment weighs as much as a short one.
    grams = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    if grams:
        scale = 1 / math.sqrt(len(grams))
        for gram in grams:
            features["w:" + gram] = scale
    # Character 3- and 4-grams catch what words miss: "fr33", "subscr1be", glued words, look-alike spellings.
    squeezed = " ".join(words)
    chars = {squeezed[i : i + n] for n in NGRAMS for i in range(len(squeezed) - n + 1)}
    if chars:
        scale = 1 / math.sqrt(len(chars))
        for gram in chars:
            features["c:" + gram] = scale
    hosts = [h for h in (_host(href) for href in _HREF.findall(html)) if h]
    features["links:" + _bucket(len(hosts))] = 1.0
    for host in set(hosts):
        features["d:" + _site(host)] = 1.0
    if url:
        features["u:" + _site(_host(url))] = 1.0
        features["website"] = 1.0
    for word in set(_WORD.findall(comparable_text(author))):
        features["n:" + word] = 0.5
    features["len:" + _bucket(len(words) // 10)] = 1.0
    letters = [ch for ch in text[:MAX_CHARS] if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) / len(letters) > 0.5 and len(letters) > 10:
        features["shouting"] = 1.0
    if repeats:
        features["repeats:" + _bucket(repeats)] = 1.0
    return features


def bucket_of(name: str) -> int:
    """Return the weight a feature name is stored under (stable across processes, unlike ``hash``)."""
    return crc32(name.encode("utf-8", "surrogatepass")) & _MASK


def describe(name: str) -> str:
    """Return a feature as a moderator reads it in a reason: ``free``, ``link to freepsnpoints.com``."""
    kind, _, value = name.partition(":")
    return {
        "w": value,
        "c": f"“{value}”",
        "d": f"link to {value}",
        "u": f"website {value}",
        "n": f"name {value}",
        "links": "1 link" if value == "1" else f"{value} links",
        "repeats": f"same text {value} times elsewhere",
        "len": "length",
    }.get(kind, name)
