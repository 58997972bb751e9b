"""The browser harness itself works: Chromium loads a page from the live test server."""

import pytest

pytestmark = pytest.mark.browser


def test_chromium_loads_the_health_check(live_server, page):
    response = page.goto(live_server + "/healthz")
    assert response.status == 200
    assert page.text_content("body") == "ok"
