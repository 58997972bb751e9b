"""`make lighthouse`: Lighthouse's four categories for the article page and the index, mobile and desktop.

Starts the blog under `flask serve` (granian) on a fresh SQLite database with the seed article and
100 approved threaded comments (as `make bench` does), then runs Lighthouse in Debian's Chromium against
each page in each form factor ``--runs`` times, and prints every category's lowest and highest score
with the two findings issue 18 watches: ``uses-text-compression`` and ``render-blocking-resources``
(``pass`` when Lighthouse found nothing to save).

Lighthouse is not a test dependency (it wants a newer Node than the suite's tools): the script runs
``$LIGHTHOUSE`` when set, else ``npx --yes lighthouse@VERSION``, which fetches it once into npm's cache.
The scores of the Performance category depend on the machine's load: run it on a quiet one.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.bench import seed_comments  # noqa: E402
from scripts.live import CHROMIUM_ARGS, SEED_SLUG, LiveBlog, chromium_path  # noqa: E402

VERSION = "12.8.2"  # the last Lighthouse that runs on Debian 12's Node (13 wants Node 22)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
FINDINGS = ("uses-text-compression", "render-blocking-resources")
PAGES = {"article": f"/{SEED_SLUG}/", "index": "/"}


def lighthouse_command() -> list[str]:
    given = os.environ.get("LIGHTHOUSE")
    return shlex.split(given) if given else ["npx", "--yes", f"lighthouse@{VERSION}"]


def audit(url: str, form: str, out: Path) -> dict:
    """One Lighthouse run of ``url`` as a phone (``mobile``) or a ``desktop``, summed up by ``summary``."""
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    command = [
        *lighthouse_command(),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={flags}",
        *(["--preset=desktop"] if form == "desktop" else []),
    ]
    env = {**os.environ, "CHROME_PATH": chromium_path()}
    for attempt in range(3):  # Chromium now and then fails to start or to answer Lighthouse
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode == 0:
            break
        print(f"Lighthouse failed on {url} ({form}), attempt {attempt + 1}: {done.stderr.strip()[-300:]}")
    else:
        sys.exit("Lighthouse failed three times in a row")
    return summary(json.loads(out.read_text()))


def summary(report: dict) -> dict:
    """From a Lighthouse JSON report: {category: score 0-100, finding: 'pass' or what it would save}."""
    result = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    for finding in FINDINGS:
        found = report["audits"][finding]
        details = found.get("details") or {}
        saved, wasted = details.get("overallSavingsMs") or 0, details.get("overallSavingsBytes") or 0
        clean = found["scoreDisplayMode"] == "notApplicable" or (found["score"] == 1 and not (saved or wasted))
        result[finding] = "pass" if clean else f"{saved:.0f} ms, {wasted / 1024:.0f} KiB"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each page and form factor (default 3)")
    args = parser.parse_args()
    if not chromium_path():
        sys.exit("Chromium is not installed (apt-get install chromium, or set $CHROMIUM)")
    out = Path(tempfile.mkdtemp(prefix="lighthouse-")) / "report.json"
    rows = []
    with LiveBlog("sqlite", workers=None) as blog:
        seed_comments(blog.database_url, 100)
        for page, path in PAGES.items():
            for form in ("mobile", "desktop"):
                runs = [audit(blog.url + path, form, out) for _ in range(args.runs)]
                rows.append((page, form, runs))
    print(f"Lighthouse {VERSION}, {args.runs} runs each: lowest-highest score; a finding is pass when no run found it")
    print(f"{'page':8} {'form':8} " + " ".join(f"{c:>14}" for c in CATEGORIES) + "  " + "  ".join(FINDINGS))
    for page, form, runs in rows:
        scores = []
        for category in CATEGORIES:
            low, high = min(r[category] for r in runs), max(r[category] for r in runs)
            scores.append(f"{low:>14}" if low == high else f"{f'{low}-{high}':>14}")
        found = {f: next((r[f] for r in runs if r[f] != "pass"), "pass") for f in FINDINGS}
        findings = "  ".join(f"{found[f]:>{len(f)}}" for f in FINDINGS)
        print(f"{page:8} {form:8} " + " ".join(scores) + "  " + findings)


if __name__ == "__main__":
    main()
