"""Save screenshots of the running blog for the README: the article in light and dark, wide and narrow.

    python scripts/screenshots.py [BASE_URL] [--out docs] [--slug SLUG]

It drives Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) through Playwright; the blog must
already be serving at BASE_URL (default http://127.0.0.1:5000, as `make serve` runs it).
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

SEED_SLUG = "diplomatic-meeting-between-north-korea-and-pakistan"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# (file name, path, viewport width, colour scheme)
SHOTS = [
    ("article-1280-light.png", "/{slug}/", 1280, "light"),
    ("article-375-light.png", "/{slug}/", 375, "light"),
    ("article-1280-dark.png", "/{slug}/", 1280, "dark"),
    ("article-375-dark.png", "/{slug}/", 375, "dark"),
    ("index-1280.png", "/", 1280, "light"),
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        sys.exit("Chromium is not installed (apt-get install chromium)")
    return path


def take(base_url: str, out: Path, slug: str) -> list[Path]:
    """Save every shot in SHOTS under ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        for name, path, width, scheme in SHOTS:
            context = browser.new_context(
                viewport={"width": width, "height": 900}, color_scheme=scheme, device_scale_factor=1
            )
            page = context.new_page()
            url = base_url.rstrip("/") + path.format(slug=slug)
            response = page.goto(url, wait_until="networkidle")
            if response is None or response.status != 200:
                sys.exit(f"{url} answered {response.status if response else 'nothing'}")
            # A full-page shot shows images below the fold, which lazy loading has not fetched yet.
            page.evaluate(
                "() => Promise.all([...document.images].map(img => {"
                " img.loading = 'eager'; img.decoding = 'sync'; return img.decode().catch(() => null); }))"
            )
            page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
            target = out / name
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
            context.close()
        browser.close()
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:5000")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--slug", default=SEED_SLUG)
    args = parser.parse_args(argv)
    for path in take(args.base_url, args.out, args.slug):
        print(path)


if __name__ == "__main__":
    main()
