"""The spam filter's arithmetic: a logistic regression over hashed features, scored and taught one comment
at a time.

The weights are the shipped starting model (``start.bin``, trained on the YouTube Spam Collection by
``scripts/spam_report.py --write-model``) plus what this site has learnt from its moderators, which lives
in the database (blog/spam/store.py). Nothing here touches the database or the network.
"""

import heapq
import math
import random
import re
import struct
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from blog.spam.features import BUCKETS, bucket_of, describe

START_MODEL = Path(__file__).with_name("start.bin")
_MAGIC = b"SPAMW1"
# Learning rates: the starting model's first pass over its corpus, and one moderator decision. A decision
# moves its comment's features six times as far as a corpus example: it is this site's own spam or ham,
# and three decisions on near-same spam send the fourth to Spam while an unrelated remark barely moves
# (tests/test_spam.py).
TRAIN_RATE, TRAIN_EPOCHS, L2 = 1.0, 10, 1e-5
DECISION_RATE = 6.0
# Features a reason names: readable ones; character n-grams and the bias weigh but say little.
_NAMED = ("w:", "d:", "u:", "n:", "repeats:", "links:", "shouting")

_KEPT = ("bias", "len:", "links:0")  # features a decision does not move (see step)
_SHORT_WORD = re.compile(r"w:\w{1,2}")  # "at", "a": they weigh, but name nothing a moderator can judge

Features = dict[str, float]
Weight = Callable[[int], float]


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


# How every reason the filter gives begins (the moderation queue shows it; the pending link reads it).
REASON_PREFIX = "spam score "


def filtered(reasons: list[str]) -> bool:
    """Whether these stored reasons are the filter's own: a comment it, and nothing surer, sent to Spam."""
    return bool(reasons) and reasons[0].startswith(REASON_PREFIX)


@dataclass(frozen=True)
class Verdict:
    """How spammy a comment looks (0 to 1), and the features that pushed it most towards spam."""

    score: float
    strongest: tuple[str, ...] = ()

    def reason(self) -> str:
        """Return the reason stored with a comment sent to Spam: ``spam score 0.97: free, psn, codes``."""
        head = f"{REASON_PREFIX}{self.score:.2f}"
        return f"{head}: {', '.join(describe(n) for n in self.strongest)}" if self.strongest else head


def judge(features: Features, weight: Weight, explain: int = 4) -> Verdict:
    """Return the verdict on one comment's features under these weights."""
    total, named = 0.0, []
    for name, value in features.items():
        part = weight(bucket_of(name)) * value
        total += part
        if part > 0 and name.startswith(_NAMED) and not _SHORT_WORD.fullmatch(name):
            named.append((part, name))
    strongest = [name for _, name in heapq.nlargest(explain, named)]
    # Having links weighs, but the reason names where they go: "link to freepsnpoints.com".
    domains = [name for name in features if name.startswith("d:")]
    strongest = [domains[0] if name.startswith("links:") and domains else name for name in strongest]
    return Verdict(sigmoid(total), tuple(dict.fromkeys(strongest)))


def step(features: Features, is_spam: bool, weight: Weight, rate: float = DECISION_RATE) -> dict[int, float]:
    """Return how one example moves the weights (bucket → change): one step of gradient ascent on its
    log-likelihood, so a comment the model already judges rightly moves them little.

    The features nearly every comment has (the bias, its length, having no link) keep their starting
    weights: a site's first few decisions, all spam or all ham, would otherwise tilt every comment after
    them, and a moderator teaches what a comment says and where it links, not how common spam is.
    """
    buckets = [(bucket_of(name), value, name.startswith(_KEPT)) for name, value in features.items()]
    error = float(is_spam) - sigmoid(sum(weight(b) * v for b, v, _ in buckets))
    change: dict[int, float] = {}
    for b, v, kept in buckets:
        if not kept:
            change[b] = change.get(b, 0.0) + rate * error * v
    return change


def fit(
    examples: Sequence[tuple[Features, bool]],
    start: array | None = None,
    epochs: int = TRAIN_EPOCHS,
    rate: float = TRAIN_RATE,
    seed: int = 1,
) -> array:
    """Return weights trained on these examples (shuffled, ``epochs`` passes, a falling rate, a little L2),
    starting from ``start`` (a copy is made) or from zero."""
    weights = array("d", start) if start is not None else array("d", bytes(8 * BUCKETS))
    hashed = [([(bucket_of(n), v) for n, v in f.items()], y) for f, y in examples]
    order = random.Random(seed)
    for epoch in range(epochs):
        order.shuffle(hashed)
        lr = rate / (1 + epoch)
        decay = 1 - lr * L2
        for buckets, is_spam in hashed:
            error = float(is_spam) - sigmoid(sum(weights[b] * v for b, v in buckets))
            for b, v in buckets:
                weights[b] = weights[b] * decay + lr * error * v
    return weights


def save(weights: Iterable[float], path: Path) -> int:
    """Write the nonzero weights, compressed; return the file's size in bytes."""
    pairs = [(b, w) for b, w in enumerate(weights) if abs(w) >= 1e-4]
    buckets = array("I", [b for b, _ in pairs])
    values = array("f", [w for _, w in pairs])
    body = struct.pack("<II", BUCKETS, len(pairs)) + buckets.tobytes() + values.tobytes()
    path.write_bytes(_MAGIC + zlib.compress(body, 9))
    return path.stat().st_size


@lru_cache(maxsize=1)
def starting_weights(path: Path = START_MODEL) -> array:
    """Return the shipped starting model as one float32 per bucket (1 MiB), read once per process."""
    weights = array("f", bytes(4 * BUCKETS))
    data = path.read_bytes()
    if not data.startswith(_MAGIC):
        raise ValueError(f"{path} is not a spam model")
    body = zlib.decompress(data[len(_MAGIC) :])
    size, count = struct.unpack_from("<II", body)
    if size != BUCKETS:
        raise ValueError(f"{path} has {size} buckets, not {BUCKETS}")
    buckets, values = array("I"), array("f")
    buckets.frombytes(body[8 : 8 + 4 * count])
    values.frombytes(body[8 + 4 * count : 8 + 8 * count])
    for b, w in zip(buckets, values, strict=True):
        weights[b] = w
    return weights
