"""The pure helpers of `make bench`, `make bench-servers` and `make lighthouse` (scripts/): the
benchmarks themselves are run by hand, not here."""

import argparse

import pytest

from scripts import bench_servers
from scripts.bench import SCENARIOS, scenario_list, through_page_cache
from scripts.lighthouse import summary
from scripts.live import BIN
from tests.conftest import app_with_tables, drop_app
from tests.factories import make_article


def test_only_takes_scenario_names_separated_by_commas():
    assert scenario_list("search,listings") == {"search", "listings"}
    assert scenario_list(" publish , ") == {"publish"}
    assert set(SCENARIOS) == {"pages", "publish", "listings", "search"}


@pytest.mark.parametrize("text", ["serch", "search,nope", "", ","])
def test_only_refuses_an_unknown_or_empty_list_naming_the_choices(text):
    with pytest.raises(argparse.ArgumentTypeError, match="choose from pages, publish, listings, search"):
        scenario_list(text)


def test_through_page_cache_names_the_pages_answered_without_flask(app):
    with app.app_context():
        make_article(slug="on-embassies", title="On Embassies")
    kept = through_page_cache(app, ["/on-embassies/", "/search/?q=embassies", "/comments/feed/", "/", "/nowhere/"])
    assert kept == {
        "/on-embassies/": True,
        "/search/?q=embassies": False,
        "/comments/feed/": False,
        "/": False,
        "/nowhere/": False,
    }
    # The app is left as it was: the article is still answered from the cache, and it is right.
    assert through_page_cache(app, ["/on-embassies/"]) == {"/on-embassies/": True}
    assert b"On Embassies" in app.test_client().get("/on-embassies/").data


def test_through_page_cache_says_no_everywhere_when_the_cache_is_off(app_config):
    app = app_with_tables({**app_config, "PAGE_CACHE": False})
    try:
        with app.app_context():
            make_article(slug="on-embassies", title="On Embassies")
        assert through_page_cache(app, ["/on-embassies/", "/comments/feed/"]) == {
            "/on-embassies/": False,
            "/comments/feed/": False,
        }
    finally:
        drop_app(app)


def lighthouse_report(score=1.0, compression=None, blocking=None):
    """A Lighthouse JSON report as far as `make lighthouse` reads it."""
    categories = {name: {"score": score} for name in ("performance", "accessibility", "best-practices", "seo")}
    return {
        "categories": categories,
        "audits": {
            "uses-text-compression": compression or {"score": 1, "scoreDisplayMode": "metricSavings"},
            "render-blocking-resources": blocking or {"score": None, "scoreDisplayMode": "notApplicable"},
        },
    }


def test_lighthouse_summary_gives_each_category_out_of_100_and_passes_what_found_nothing():
    assert summary(lighthouse_report(0.97)) == {
        "performance": 97,
        "accessibility": 97,
        "best-practices": 97,
        "seo": 97,
        "uses-text-compression": "pass",
        "render-blocking-resources": "pass",
    }


def test_lighthouse_summary_names_what_a_finding_would_save():
    found = {
        "score": 0.5,
        "scoreDisplayMode": "metricSavings",
        "details": {"overallSavingsMs": 170, "overallSavingsBytes": 186368},
    }
    result = summary(lighthouse_report(compression=found, blocking=found))
    assert result["uses-text-compression"] == result["render-blocking-resources"] == "170 ms, 182 KiB"


def test_bench_servers_runs_each_server_from_this_venv_on_a_port_of_its_own():
    serve = bench_servers.Server(bench_servers.SERVERS["flask serve (granian), 1 worker x 1 thread"], env={})
    assert serve.argv == [
        str(BIN / "flask"), "--app", "blog", "serve", "--workers", "1", "--threads", "1",
        "--host", "127.0.0.1", "--port", str(serve.port),
    ]  # fmt: skip
    gunicorn = bench_servers.Server(bench_servers.SERVERS["gunicorn sync, 3 workers"], env={})
    assert gunicorn.argv[0] == str(BIN / "gunicorn") and gunicorn.argv[-2:] == ["-b", f"127.0.0.1:{gunicorn.port}"]
    granian = bench_servers.Server(bench_servers.SERVERS["granian, 1 worker x its default threads"], env={})
    assert granian.argv[1:5] == ["--host", "127.0.0.1", "--port", str(granian.port)]
    assert granian.argv[-1] == "blog.wsgi:app"


def test_bench_servers_reports_a_server_that_is_not_installed(monkeypatch):
    monkeypatch.setattr(bench_servers.shutil, "which", lambda *_, **__: None)
    assert bench_servers.Server(bench_servers.SERVERS["gunicorn sync, 2 workers"], env={}).argv is None
