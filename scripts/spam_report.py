#!/usr/bin/env python3
"""Measure the spam filter (blog/spam/) and the moderation rules (blog/comments/rules.py) on the YouTube
Spam Collection.

The filter: 10-fold cross-validation (trained on nine tenths, scored on the tenth, each comment scored
once) and leave-one-video-out (trained on four videos, scored on the fifth): accuracy at 0.5, ROC AUC,
spam caught and ham misfiled at the shipped threshold, the threshold that keeps ham misfiled at or under
1% in leave-one-video-out, and what a score costs. ``--write-model`` trains on the whole collection and
writes the starting model the blog ships (blog/spam/start.bin).

The rules: how many of the labelled spam and ham comments each would hold (or discard), looked at
alone and as the first rule that matches in SPEC §5's order. The corpus has no honeypot field, emails
or IPs, so the rules that look at those can only show zero, and no author has an approved comment yet.

It is a measurement, not a test: nothing here asserts a figure.

    python scripts/spam_report.py [CORPUS_DIR] [--max-links N] [--threshold T] [--write-model FILE]
                                  [--moderation-keys FILE] [--disallowed-keys FILE] [--skip-filter]
"""

import argparse
import csv
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blog.comments.rules import RULES, Candidate, decide  # noqa: E402
from blog.core.models import CommentStatus  # noqa: E402
from blog.core.sanitize import clean_comment  # noqa: E402
from blog.core.settings import DEFAULTS  # noqa: E402
from blog.spam import corpus, features, model  # noqa: E402

DEFAULT_CORPUS = ROOT / "tests" / "corpora" / "youtube-spam-collection"
HOLDS = {CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.TRASH}


def read_corpus(folder: Path) -> list[tuple[Candidate, bool]]:
    """Return every comment of the collection as (candidate, is_spam)."""
    comments = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                text = row["CONTENT"].replace("\ufeff", "").strip()
                comments.append(
                    (Candidate(text=text, html=clean_comment(text), author=row["AUTHOR"]), row["CLASS"].strip() == "1")
                )
    return comments


def measure(comments, config) -> tuple[dict, dict, Counter]:
    """Count, per rule, the spam and ham it holds alone and as the first match; and the final statuses."""
    alone = {rule.__name__: Counter() for rule in RULES}
    first = {rule.__name__: Counter() for rule in RULES}
    outcome = Counter()
    for candidate, is_spam in comments:
        label = "spam" if is_spam else "ham"
        matched_first = False
        for rule in RULES:
            verdict = rule(candidate, config)
            if verdict is None:
                continue
            if verdict[0] in HOLDS:
                alone[rule.__name__][label] += 1
                if not matched_first:
                    first[rule.__name__][label] += 1
            matched_first = True
        status, _ = decide(candidate, config)
        outcome[(status.value, label)] += 1
    return alone, first, outcome


def report(comments, config, title: str) -> str:
    alone, first, outcome = measure(comments, config)
    spam = sum(1 for _, s in comments if s)
    ham = len(comments) - spam
    lines = [
        f"## {title}",
        "",
        "| rule | holds alone: spam | ham | as first match: spam | ham |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in alone:
        a, f = alone[name], first[name]
        lines.append(f"| {name} | {a['spam']} | {a['ham']} | {f['spam']} | {f['ham']} |")
    held_spam = sum(n for (status, label), n in outcome.items() if label == "spam" and status != "approved")
    held_ham = sum(n for (status, label), n in outcome.items() if label == "ham" and status != "approved")
    lines.append(f"| **held or discarded in total** | | | **{held_spam} of {spam}** | **{held_ham} of {ham}** |")
    statuses = ", ".join(
        f"{status} {outcome[(status, 'spam')]} spam / {outcome[(status, 'ham')]} ham"
        for status in ("approved", "pending", "spam", "trash")
        if outcome[(status, "spam")] or outcome[(status, "ham")]
    )
    lines += ["", f"Final statuses: {statuses}.", ""]
    return "\n".join(lines)


# -- the filter -------------------------------------------------------------------------------------------


def labelled(folder: Path) -> list[tuple[model.Features, bool, str]]:
    """Return every comment of the collection as (features, is_spam, video).

    The repetition feature counts the comments of the same shape elsewhere in the collection (another
    video or another author), as the blog counts recent comments from another article or address.
    """
    rows = [row for path in sorted(folder.glob("*.csv")) for row in corpus.read(path)]
    seen: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        seen.setdefault(row.example.shape, []).append((row.source, row.example.author))
    found = []
    for row in rows:
        e = row.example
        here = (row.source, e.author)
        repeats = sum(1 for other in seen.get(e.shape, ()) if other != here) if e.shape else 0
        found.append((features.extract(e.text, e.html, e.author, e.url, repeats), row.is_spam, row.source))
    return found


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Return the probability that a random spam comment scores above a random ham one (ties count half)."""
    ranked = sorted(zip(scores, labels, strict=True))
    spam = sum(labels)
    ham = len(labels) - spam
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2
        rank_sum += mean_rank * sum(1 for _, y in ranked[i:j] if y)
        i = j
    return (rank_sum - spam * (spam + 1) / 2) / (spam * ham)


def held_out_scores(data, folds: list[set[int]]) -> list[float]:
    """Score each comment with a model trained on every fold but its own."""
    scores = [0.0] * len(data)
    for test in folds:
        weights = model.fit([(f, y) for i, (f, y, _) in enumerate(data) if i not in test])
        for i in test:
            scores[i] = model.judge(data[i][0], weights.__getitem__, explain=0).score
    return scores


def lowest_threshold(scores, labels, max_ham: float) -> float:
    """Return the lowest threshold (in steps of 0.01) that misfiles at most ``max_ham`` of the ham."""
    ham = sorted((s for s, y in zip(scores, labels, strict=True) if not y), reverse=True)
    allowed = int(max_ham * len(ham))  # this many ham may score at or above it
    for step in range(50, 100):
        t = step / 100
        if sum(1 for s in ham if s >= t) <= allowed:
            return t
    return 1.0


def figures(scores, labels, threshold: float) -> dict:
    spam = [s for s, y in zip(scores, labels, strict=True) if y]
    ham = [s for s, y in zip(scores, labels, strict=True) if not y]
    return {
        "accuracy": sum((s >= 0.5) == y for s, y in zip(scores, labels, strict=True)) / len(labels),
        "auc": roc_auc(scores, labels),
        "caught": sum(s >= threshold for s in spam),
        "misfiled": sum(s >= threshold for s in ham),
        "spam": len(spam),
        "ham": len(ham),
    }


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def cost(folder: Path) -> tuple[float, float]:
    """Return what scoring costs a worker: milliseconds per comment through blog/spam/store.judge (features,
    the version check, the repetition query, the weights) on a fresh app over SQLite, and the resident
    memory it adds, in MiB (the starting model and the learnt weights, once loaded)."""
    import tempfile

    from blog import create_app
    from blog.core.extensions import db
    from blog.spam import store

    examples = [row.example for path in sorted(folder.glob("*.csv")) for row in corpus.read(path)]
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/cost.sqlite3", "SECRET_KEY": "cost"})
        with app.app_context():
            db.create_all()
            with db.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
                before = rss_mib()
                store.judge(connection, examples[0])
                loaded = rss_mib() - before
                start = time.process_time()
                for example in examples:
                    store.judge(connection, example)
                per_comment = (time.process_time() - start) / len(examples) * 1000
            db.engine.dispose()
    return per_comment, loaded


def filter_report(folder: Path, threshold: float, write_model: Path | None) -> str:
    data = labelled(folder)
    labels = [y for _, y, _ in data]
    order = list(range(len(data)))
    random.Random(0).shuffle(order)
    tenfold = held_out_scores(data, [set(order[k::10]) for k in range(10)])
    videos = sorted({v for _, _, v in data})
    lovo = held_out_scores(data, [{i for i, d in enumerate(data) if d[2] == v} for v in videos])
    safe = lowest_threshold(lovo, labels, 0.01)
    lines = [
        f"## The spam filter (threshold {threshold:g}; 0.5 for accuracy)",
        "",
        "| evaluation | accuracy | ROC AUC | spam caught | ham misfiled as spam |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, scores in (("10-fold cross-validation", tenfold), ("leave one video out", lovo)):
        f = figures(scores, labels, threshold)
        caught = f"{f['caught']} of {f['spam']} ({100 * f['caught'] / f['spam']:.1f}%)"
        misfiled = f"{f['misfiled']} of {f['ham']} ({100 * f['misfiled'] / f['ham']:.1f}%)"
        lines.append(f"| {name} | {100 * f['accuracy']:.1f}% | {f['auc']:.3f} | {caught} | {misfiled} |")
    per_video = []
    for v in videos:
        idx = [i for i, d in enumerate(data) if d[2] == v]
        f = figures([lovo[i] for i in idx], [labels[i] for i in idx], threshold)
        per_video.append(
            f"{v}: AUC {f['auc']:.3f}, caught {f['caught']}/{f['spam']}, misfiled {f['misfiled']}/{f['ham']}"
        )
    if write_model:
        size = model.save(model.fit([(f, y) for f, y, _ in data]), write_model)
        model.starting_weights.cache_clear()
    # In a process of its own, so that what training allocated does not hide what scoring adds.
    measured = subprocess.run(
        [sys.executable, __file__, str(folder), "--cost-only"], capture_output=True, text=True, check=True
    )
    ms, mib = (float(x) for x in measured.stdout.split())
    lines += [
        "",
        f"Lowest threshold with at most 1% of ham misfiled, leave one video out: {safe:.2f}.",
        "Leave one video out, per video: " + "; ".join(per_video) + ".",
        f"Cost: {ms:.2f} ms per comment (features, the two queries, the weights); {mib:.1f} MiB of resident memory.",
        "",
    ]
    if write_model:
        lines += [
            f"Wrote the starting model, trained on all {len(data)} comments, to {write_model} ({size} bytes).",
            "",
        ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--max-links", type=int, default=DEFAULTS["COMMENT_MAX_LINKS"])
    parser.add_argument("--moderation-keys", type=Path, help="a file of keys, one per line")
    parser.add_argument("--disallowed-keys", type=Path, help="a file of keys, one per line")
    parser.add_argument("--threshold", type=float, default=DEFAULTS["SPAM_THRESHOLD"], help="the spam threshold")
    parser.add_argument("--write-model", type=Path, help="train on the whole collection and write the model here")
    parser.add_argument("--skip-filter", action="store_true", help="measure the rules only")
    parser.add_argument("--cost-only", action="store_true", help="print the milliseconds per score and the MiB added")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"no corpus folder at {args.corpus}")
    if args.cost_only:
        print(*cost(args.corpus))
        return 0
    comments = read_corpus(args.corpus)
    spam = sum(1 for _, s in comments if s)
    base = DEFAULTS | {
        "COMMENT_MAX_LINKS": args.max_links,
        "COMMENT_MODERATION_KEYS": args.moderation_keys.read_text() if args.moderation_keys else "",
        "COMMENT_DISALLOWED_KEYS": args.disallowed_keys.read_text() if args.disallowed_keys else "",
    }
    print(
        f"# Moderation rules on the YouTube Spam Collection ({len(comments)} comments: "
        f"{spam} spam, {len(comments) - spam} ham)\n"
    )
    if not args.skip_filter:
        print(filter_report(args.corpus, args.threshold, args.write_model))
    print(report(comments, base, f"Settings as given (moderation `all`, max links {args.max_links})"))
    print(
        report(
            comments,
            base | {"COMMENT_MODERATION": "none"},
            f"Moderation `none`: only the content rules hold (max links {args.max_links})",
        )
    )
    if args.max_links != 1:
        print(
            report(
                comments,
                base | {"COMMENT_MODERATION": "none", "COMMENT_MAX_LINKS": 1},
                "Moderation `none`, max links 1",
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
