#!/usr/bin/env python3
"""Measure the moderation rules (blog/comments/rules.py) on the YouTube Spam Collection.

For each rule: how many of the labelled spam and ham comments it would hold (or discard), looked at
alone and as the first rule that matches in SPEC §5's order. It is a measurement, not a test: nothing
here asserts a threshold. The corpus has no honeypot field, emails or IPs, so the rules that look at
those can only show zero, and no author has an approved comment yet.

    python scripts/spam_report.py [CORPUS_DIR] [--max-links N]
                                  [--moderation-keys FILE] [--disallowed-keys FILE]
"""

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blog.comments.rules import RULES, Candidate, decide  # noqa: E402
from blog.core.models import CommentStatus  # noqa: E402
from blog.core.sanitize import clean_comment  # noqa: E402
from blog.core.settings import DEFAULTS  # noqa: E402

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--max-links", type=int, default=DEFAULTS["COMMENT_MAX_LINKS"])
    parser.add_argument("--moderation-keys", type=Path, help="a file of keys, one per line")
    parser.add_argument("--disallowed-keys", type=Path, help="a file of keys, one per line")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"no corpus folder at {args.corpus}")
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
