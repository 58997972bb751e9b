"""Browser fixtures: the blog on a live local port, and Debian's Chromium driven by Playwright.

Playwright's own browser download cannot work on these machines, so it drives /usr/bin/chromium.
"""

import threading
from collections import Counter
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from blog.publishing.publish import publish
from scripts.live import CHROMIUM_ARGS, chromium_path
from tests.conftest import require


@contextmanager
def serve(app):
    """Serve ``app`` on a free loopback port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def live_server(app):
    """Serve the test app on a free loopback port; yields its base URL."""
    with serve(app) as url:
        yield url


@pytest.fixture
def twelve(app, content_dir):
    """Twelve articles published in 2024, one a month: odd ones tagged Travel Notes (in two spellings that are
    one tag), even ones Économie; enough for a page 2 of the index at ten a page."""
    for i in range(1, 13):
        tags = "[Travel Notes, travel-notes]" if i % 2 else "[Économie]"
        (content_dir / f"article-{i:02d}.md").write_text(
            f"---\ntitle: Article {i:02d}\ndate: 2024-{i:02d}-10\ntags: {tags}\n---\n\nArticle number {i}.\n",
            encoding="utf-8",
        )
    with app.app_context():
        publish(content_dir)
    return content_dir


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    path = chromium_path()
    require(path is not None, "Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        require(False, "Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile (cookies, storage) for one test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    page.close()


def pytest_collection_modifyitems(config, items):
    # The werkzeug development server behind ``live_server`` leaves a static file's handle to the
    # garbage collector when Chromium drops a connection mid-download (it does, when a page closes);
    # that ResourceWarning is about the test harness's server, not the blog (gunicorn closes files).
    for item in items:
        if "/tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"))


# -- the numbers the standards tests report at the end of the run ------------------------------------------

COUNTS = pytest.StashKey[Counter]()


@pytest.fixture(scope="session")
def counts(request) -> Counter:
    """A tally the browser tests add to (pages checked, axe violations, ...), printed after the run."""
    return request.config.stash.setdefault(COUNTS, Counter())


def pytest_terminal_summary(terminalreporter, config):
    tally = config.stash.get(COUNTS, None)
    if tally:
        terminalreporter.section("browser checks")
        for name, n in tally.items():
            terminalreporter.write_line(f"{name}: {n}")
