"""Save screenshots of the blog for the README: the article (light and dark, wide and narrow), the index and
the moderation queue.

    python scripts/screenshots.py --serve [--out docs]
    python scripts/screenshots.py [BASE_URL] [--out docs] [--slug SLUG] [--username NAME --password-stdin]

With ``--serve`` (what `make screenshots` runs) it starts the blog itself under `flask serve` on a fresh
SQLite database (scripts/live.py), publishes content/, creates a moderator with
``flask moderator create --password-stdin``, and has readers post a dozen comments through the form, a
couple of them in threads, which the moderator approves in the admin, all but one. Without it the blog
must already be serving at BASE_URL (default http://127.0.0.1:5000, as `make serve` runs it), and the
queue is shot only if a moderator's name and password are given.

It drives Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) through Playwright. Full-page shots are cut
at MAX_HEIGHT and the PNGs get a dithered palette (Pillow), so each stays under 600 KB.
"""

import argparse
import io
import secrets
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import (  # noqa: E402
    CHROMIUM_ARGS,
    SEED_SLUG,
    LiveBlog,
    chromium_path,
    comment_form,
    form_token,
    post_comment,
)

# (file name, path, viewport width, colour scheme, signed in)
SHOTS = [
    ("article-1280-light.png", "/{slug}/", 1280, "light", False),
    ("article-375-light.png", "/{slug}/", 375, "light", False),
    ("article-1280-dark.png", "/{slug}/", 1280, "dark", False),
    ("article-375-dark.png", "/{slug}/", 375, "dark", False),
    ("index-1280.png", "/", 1280, "light", False),
    ("admin-queue-1280.png", "/admin/comments?status=all", 1280, "light", True),
]
MAX_HEIGHT = {1280: 12000, 375: 16000}
MAX_BYTES = 600_000

# Readers of the seed article: (key, name, email, website, text, the key of the comment answered); a
# comment without a name is the moderator's reply from the admin.
CONVERSATION = [
    (
        "amara",
        "Amara Okafor",
        "amara@example.org",
        "https://amara.example.net/",
        "A clear overview. I hadn't realised the two countries have had relations since 1972, long before the "
        "nuclear story everyone remembers.",
        None,
    ),
    (
        "jonas",
        "Jonas Berg",
        "jonas@example.org",
        "",
        "Do you have a source for the trade figures? I've seen textiles mentioned before, but never machinery "
        "going the other way.",
        None,
    ),
    (
        "amara-2",
        "Amara Okafor",
        "amara@example.org",
        "https://amara.example.net/",
        "The UN Comtrade database has the yearly numbers, though both sides report them patchily.",
        "jonas",
    ),
    (
        "jonas-2",
        "Jonas Berg",
        "jonas@example.org",
        "",
        "Thanks! Patchy is an understatement, but it's a start.",
        "amara-2",
    ),
    (
        "priya",
        "Priya Raman",
        "priya@example.org",
        "https://priyaraman.example.com/",
        "I lived near the diplomatic enclave in Islamabad for two years. The embassy kept a very low profile; "
        "you would walk past it without noticing.",
        None,
    ),
    (
        "wen",
        "Wen Li",
        "wen@example.org",
        "",
        "<blockquote>The future of the relationship remains uncertain.</blockquote>\nThat could be said of "
        "almost any pair of countries, but here it really is true.",
        None,
    ),
    (
        "tomas",
        "Tomás Herrera",
        "tomas@example.org",
        "",
        "Would love a follow-up on how sanctions changed the embassy's day-to-day work after 2006.",
        None,
    ),
    (
        "editor",
        None,
        None,
        None,  # the moderator answers from the admin
        "Good idea, Tomás. It's on the list for later this year.",
        "tomas",
    ),
    ("ines", "Ines Duarte", "ines@example.org", "", "The illustrations are lovely. Who made them?", None),
    (
        "kofi",
        "Kofi Mensah",
        "kofi@example.org",
        "https://kofi.example.net/",
        "Useful background for a seminar I'm teaching on <em>small-state diplomacy</em>. Sharing it with my students.",
        None,
    ),
    (
        "lena",
        "Lena Novak",
        "lena@example.org",
        "",
        "One small correction: the relations were established in November 1972, not earlier that year.",
        None,
    ),
    (
        "sven",
        "Sven Lindqvist",
        "sven@example.org",
        "",
        "Interesting piece. I'd add that Sweden's embassy in Pyongyang often acts for other countries too, "
        "which is its own story.",
        None,
    ),
]
HELD = (
    "quinn",
    "Quinn Harper",
    "quinn@example.org",
    "",
    "First time here. Is there a newsletter, or only the feed?",
    None,
)


def chromium() -> str:
    path = chromium_path()
    if not path:
        sys.exit("Chromium is not installed (apt-get install chromium)")
    return path


# -- the blog of --serve ---------------------------------------------------------------------------------


def seed(blog: LiveBlog, username: str, password: str) -> None:
    """Create the moderator, then let readers talk under the seed article and the moderator approve them."""
    import re

    import requests

    blog.flask(
        "moderator", "create", username, "--password-stdin", "--email", "editors@example.org", input=password + "\n"
    )
    admin = requests.Session()
    page = admin.get(f"{blog.url}/admin/login", timeout=15).text
    token = form_token(page)
    signed_in = admin.post(
        f"{blog.url}/admin/login",
        timeout=30,
        allow_redirects=False,
        data={"csrf_token": token, "username": username, "password": password},
    )
    assert signed_in.status_code == 303, signed_in.text

    def admin_post(path, **data):
        queue = admin.get(f"{blog.url}/admin/comments", timeout=15).text
        token = form_token(queue)
        response = admin.post(
            blog.url + path,
            timeout=15,
            allow_redirects=False,
            data={"csrf_token": token, "next": "/admin/comments", **data},
        )
        assert response.status_code == 303, response.text[:500]

    ids = {}
    for key, name, email, url, text, answers in [*CONVERSATION, HELD]:
        if name is None:
            admin_post(f"/admin/comments/{ids[answers]}/reply", comment=text)
            continue
        reader = requests.Session()
        form = comment_form(reader, f"{blog.url}/{SEED_SLUG}/")
        response = post_comment(reader, blog.url, SEED_SLUG, text, name, email, url, parent=ids.get(answers), form=form)
        assert response.status_code == 303, (response.status_code, response.text[:500])
        ids[key] = int(re.search(r"#comment-(\d+)", response.headers["Location"]).group(1))
        if key != HELD[0]:  # approved before anyone answers it: only approved comments take replies
            admin_post(f"/admin/comments/{ids[key]}/approve")


# -- the shots -------------------------------------------------------------------------------------------


def save_png(data: bytes, target: Path, width: int) -> None:
    """Cut a tall page at MAX_HEIGHT and store the PNG with a dithered palette, which keeps a page shot
    small without banding the illustrations' gradients."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    limit = MAX_HEIGHT.get(width, 6000)
    if image.height > limit:
        image = image.crop((0, 0, image.width, limit))
    for colours in (256, 128, 64):
        palette = image.quantize(colors=colours, method=Image.Quantize.FASTOCTREE)
        buffer = io.BytesIO()
        image.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(buffer, "PNG", optimize=True)
        if buffer.tell() <= MAX_BYTES:
            break
    target.write_bytes(buffer.getvalue())


def take(base_url: str, out: Path, slug: str, moderator: tuple[str, str] | None) -> list[Path]:
    """Save every shot in SHOTS under ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    base_url = base_url.rstrip("/")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_ARGS)
        state = sign_in(browser, base_url, *moderator) if moderator else None
        for name, path, width, scheme, signed_in in SHOTS:
            if signed_in and state is None:
                print(f"skipped {name}: no moderator given (--username, --password-stdin)", file=sys.stderr)
                continue
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                color_scheme=scheme,
                device_scale_factor=1,
                reduced_motion="reduce",
                storage_state=state if signed_in else None,
            )
            page = context.new_page()
            url = base_url + path.format(slug=slug)
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
            save_png(page.screenshot(full_page=True), target, width)
            written.append(target)
            context.close()
        browser.close()
    return written


def sign_in(browser, base_url: str, username: str, password: str) -> dict:
    """Sign in through the login form; return the browser state that carries the session."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + "/admin/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/admin/login" in page.url:
        sys.exit("could not sign in: check the moderator's name and password")
    state = context.storage_state()
    context.close()
    return state


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:5000")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="start the blog on a fresh database with example comments, instead of using BASE_URL",
    )
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--slug", default=SEED_SLUG)
    parser.add_argument("--username", help="a moderator, for the shot of the queue")
    parser.add_argument("--password-stdin", action="store_true", help="read the moderator's password from stdin")
    args = parser.parse_args(argv)

    if args.serve:
        username, password = "editor", secrets.token_urlsafe(16)
        # Plain http on the loopback, like `make serve`: cookies must not be Secure, or the seeding
        # session (requests) would never send them back.
        plain_http = {"FLASK_SESSION_COOKIE_SECURE": "false", "FLASK_REMEMBER_COOKIE_SECURE": "false"}
        with LiveBlog("sqlite", workers=2, env=plain_http) as blog:
            seed(blog, username, password)
            written = take(blog.url, args.out, args.slug, (username, password))
    else:
        moderator = None
        if args.username:
            password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else ""
            moderator = (args.username, password)
        written = take(args.base_url, args.out, args.slug, moderator)
    for path in written:
        print(f"{path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
