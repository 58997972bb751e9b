"""The spam filter's state in the database, so that every worker on every machine scores alike.

The weights a worker scores with are the shipped starting model plus the rows of ``spam_weight``. Each
worker keeps a copy of those rows in memory, but only as a shortcut: before each score it asks the
database for the current version (one indexed row) and reads the rows written since its copy, so a
decision taken on any worker counts on every other one from the next comment on.
"""

import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from blog.core.models import Comment, utcnow
from blog.core.records import SpamModel, SpamWeight
from blog.spam import features, model

REPEAT_WINDOW = timedelta(days=7)  # "recently", for the repetition feature
_weights, _model, _comments = SpamWeight.__table__, SpamModel.__table__, Comment.__table__
_STATE = sa.select(_model.c.version, _model.c.generation).where(_model.c.id == 1)
_CHANGED = sa.select(_weights.c.bucket, _weights.c.weight).where(_weights.c.version > sa.bindparam("since"))
_ALL = sa.select(_weights.c.bucket, _weights.c.weight)
_c = _comments.c
# Comments of the same shape, recently, on another article or from another address or email; counted up
# to the feature's last bucket only, so a storm of one text costs each of its posts ten rows, not every
# copy so far.
_REPEATS = sa.select(sa.func.count()).select_from(
    sa.select(sa.literal(1))
    .where(
        _c.text_shape == sa.bindparam("shape"),
        _c.created_at >= sa.bindparam("since"),
        _c.created_at <= sa.bindparam("until"),
        _c.id != sa.bindparam("exclude"),
        sa.or_(
            _c.article_id != sa.bindparam("article_id"),
            _c.author_ip != sa.bindparam("ip"),
            _c.author_email_key != sa.bindparam("email_key"),
        ),
    )
    .limit(features.REPEATS_COUNTED)
    .subquery()
)


@dataclass(frozen=True)
class Example:
    """A comment as the filter reads it; where it was posted only counts for the repetition feature."""

    text: str
    html: str
    author: str = ""
    url: str = ""
    shape: str = ""
    article_id: int = 0
    ip: str = ""
    email_key: str = ""
    created_at: datetime | None = None
    comment_id: int = 0  # a stored comment is not a repeat of itself

    @classmethod
    def of(cls, comment: Comment) -> "Example":
        return cls(
            comment.raw_text,
            comment.html,
            comment.author_name,
            comment.author_url,
            comment.text_shape,
            comment.article_id,
            comment.author_ip,
            comment.author_email_key,
            comment.created_at,
            comment.id or 0,
        )


class SiteWeights:
    """One app's copy of the learnt weights, with the version it was read at."""

    def __init__(self):
        # The starting model is read on the first refresh (or in gunicorn's master, blog/core/prefork.py,
        # so that its 1 MiB is shared by every worker); what was learnt is a few buckets of the 2^18, kept
        # by bucket rather than as a second array of 2 MiB in every worker.
        self.start = array("f")
        self.learnt: dict[int, float] = {}
        self.version = -1
        self.generation = -1
        self.lock = threading.Lock()

    def weight(self, bucket: int) -> float:
        return self.start[bucket] + self.learnt.get(bucket, 0.0)

    def refresh(self, connection, *, lock: bool = False) -> "SiteWeights":
        """Bring the copy up to the database's version (reading only the rows written since)."""
        statement = _STATE.with_for_update() if lock and connection.dialect.name != "sqlite" else _STATE
        version, generation = connection.execute(statement).one_or_none() or (0, 0)
        with self.lock:
            if generation != self.generation:
                self.start = model.starting_weights()
                self.learnt = {}
                rows = connection.execute(_ALL)
            elif version != self.version:
                rows = connection.execute(_CHANGED, {"since": self.version})
            else:
                return self
            for bucket, weight in rows:
                self.learnt[bucket] = weight
            self.version, self.generation = version, generation
        return self


def site_weights() -> SiteWeights:
    """Return this app's copy of the learnt weights (made at start-up by init_app)."""
    return current_app.extensions["spam"]


def repeats(connection, example: Example) -> int:
    """Count the recent comments of the same shape from elsewhere (another article, address or email), up
    to ``features.REPEATS_COUNTED``."""
    if not example.shape:
        return 0
    until = example.created_at or utcnow()
    return connection.execute(
        _REPEATS,
        {
            "shape": example.shape,
            "since": until - REPEAT_WINDOW,
            "until": until,
            "exclude": example.comment_id,
            "article_id": example.article_id,
            "ip": example.ip,
            "email_key": example.email_key,
        },
    ).scalar_one()


def features_of(connection, example: Example) -> model.Features:
    return features.extract(example.text, example.html, example.author, example.url, repeats(connection, example))


def judge(connection, example: Example) -> model.Verdict:
    """Score a comment with the current weights: the starting model and everything taught since."""
    found = features_of(connection, example)
    return model.judge(found, site_weights().refresh(connection).weight)


def teach(connection, lessons: Iterable[tuple[Example, bool]], rate: float = model.DECISION_RATE) -> int:
    """Learn from these comments (True: spam) in the caller's transaction; return how many were taught.

    The model row is locked first, so two moderators teaching at once take turns and neither step is
    lost; the weights written carry the new version, which tells every worker to read them.
    """
    lessons = list(lessons)
    if not lessons:
        return 0
    _ensure_model_row(connection)
    current = site_weights().refresh(connection, lock=True)
    changed: dict[int, float] = {}

    def weight(bucket: int) -> float:
        return current.weight(bucket) + changed.get(bucket, 0.0)

    for example, is_spam in lessons:
        for bucket, change in model.step(features_of(connection, example), is_spam, weight, rate).items():
            changed[bucket] = changed.get(bucket, 0.0) + change
    version = current.version + 1
    connection.execute(
        sa.update(_model).where(_model.c.id == 1).values(version=version, lessons=_model.c.lessons + len(lessons))
    )
    _write(connection, {b: current.learnt.get(b, 0.0) + c for b, c in changed.items()}, version)
    return len(lessons)


def forget(connection) -> None:
    """Drop everything taught, back to the starting model (a new generation, so every worker reloads)."""
    _ensure_model_row(connection)
    site_weights().refresh(connection, lock=True)
    connection.execute(sa.delete(_weights))
    connection.execute(
        sa.update(_model)
        .where(_model.c.id == 1)
        .values(version=_model.c.version + 1, generation=_model.c.generation + 1, lessons=0)
    )


def lessons_taught(connection) -> int:
    return connection.execute(sa.select(_model.c.lessons).where(_model.c.id == 1)).scalar() or 0


def _ensure_model_row(connection) -> None:
    insert = _dialect_insert(connection)(_model).values(id=1, version=0, generation=0, lessons=0)
    connection.execute(insert.on_conflict_do_nothing(index_elements=["id"]))


def _write(connection, weights: dict[int, float], version: int) -> None:
    if not weights:
        return
    insert = _dialect_insert(connection)(_weights)
    upsert = insert.on_conflict_do_update(
        index_elements=["bucket"], set_={"weight": insert.excluded.weight, "version": insert.excluded.version}
    )
    rows = [{"bucket": b, "weight": w, "version": version} for b, w in sorted(weights.items())]
    for start in range(0, len(rows), 500):
        connection.execute(upsert, rows[start : start + 500])


def _dialect_insert(connection):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def init_app(app) -> None:
    app.extensions["spam"] = SiteWeights()
