"""The admin pages pass axe-core in Chromium and the Nu Html Checker (the npm test tools: `npm ci`)."""

import json
import re
import shutil
import subprocess

import pytest

from blog.models import CommentStatus
from tests.conftest import ROOT, require
from tests.moderation import PASSWORD, login, make_article, make_comment, make_moderator

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture
def paths(app):
    """The signed-in admin pages worth checking, with a comment of every kind on them."""
    with app.app_context():
        make_moderator()
        article_id = make_article()
        parent = make_comment(article_id, "Approved parent.", status=CommentStatus.APPROVED)
        make_comment(
            article_id,
            "A reply with a <b>bold</b> word and https://example.com",
            parent_id=parent,
            url="https://ada.example.net/",
            reasons=["2 links", "held for moderation"],
        )
    return [
        "/admin/comments",
        "/admin/comments?status=all",
        f"/admin/comments/{parent}/edit",
        f"/admin/comments/{parent}/reply",
    ]


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} {[n['target'] + [n['failureSummary']] for n in v['nodes']]}"
        for v in result["violations"]
    ]


@pytest.fixture(params=["light", "dark"])
def axe_page(request, browser):
    """A page that may inject axe-core (which our CSP rightly refuses), in each colour scheme."""
    context = browser.new_context(bypass_csp=True, color_scheme=request.param)
    yield context.new_page()
    context.close()


def test_axe_finds_nothing(live_server, axe_page, paths):
    require(AXE.exists(), "axe-core is not installed (npm ci)")
    page = axe_page
    page.goto(live_server + "/admin/login")
    found = {"/admin/login": axe_violations(page)}
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log In").click()
    page.wait_for_url(re.compile(r"/admin/comments$"))
    for path in paths:
        page.goto(live_server + path)
        found[path] = axe_violations(page)
    assert {path: v for path, v in found.items() if v} == {}


def test_the_html_is_valid(client, paths, tmp_path):
    require(VNU.exists() and shutil.which("java") is not None, "vnu.jar or java is missing (npm ci; a JRE)")
    documents = {"/admin/login": client.get("/admin/login").text}
    login(client)
    documents.update({path: client.get(path).text for path in paths})
    files = {}
    for n, (path, html) in enumerate(documents.items()):
        files[f"page{n}.html"] = path
        (tmp_path / f"page{n}.html").write_text(html)
    run = subprocess.run(  # one JVM for all the pages
        [
            "java",
            "-jar",
            str(VNU),
            "--format",
            "json",
            "--exit-zero-always",
            *sorted(map(str, tmp_path.glob("*.html"))),
        ],
        capture_output=True,
        timeout=300,
    )
    errors = [
        f"{files[m['url'].rsplit('/', 1)[-1]]} line {m.get('lastLine')}: {m['message']}"
        for m in json.loads(run.stderr or run.stdout)["messages"]
        if m["type"] == "error"
    ]
    assert errors == []
