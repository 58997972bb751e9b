"""``flask serve``: the production server (granian) as the README deploys it, started the way an operator
starts it. The suite's live tests (tests/test_deploy.py, test_stress.py, test_faults.py) run on it too."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from blog.core.server import granian_command
from scripts.live import BIN, DATA_KEY, free_port, wait_until_healthy
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_command_line_holds_the_settings():
    command = granian_command("0.0.0.0", 8080, workers=2, threads=3)
    assert command[:3] == [sys.executable, "-m", "granian"]
    assert " ".join(command[3:]).startswith("--interface wsgi --host 0.0.0.0 --port 8080 --workers 2")
    assert command[command.index("--blocking-threads") + 1] == "3"
    assert "--respawn-failed-workers" in command
    assert "--url-path-prefix" not in command
    assert command[-1] == "blog.wsgi:app"


def test_a_mount_path_is_handed_to_granian():
    command = granian_command("127.0.0.1", 8000, workers=1, threads=1, mount="/blog")
    assert command[command.index("--url-path-prefix") + 1] == "/blog"


def serve(tmp_path, *args, **environ) -> subprocess.Popen:
    env = os.environ | {
        "SECRET_KEY": "k",
        "FLASK_DATA_KEY": DATA_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'blog.sqlite3'}",
    }
    env.pop("FLASK_DEBUG", None)
    subprocess.run(
        [BIN / "flask", "--app", "blog", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return subprocess.Popen(
        [BIN / "flask", "--app", "blog", "serve", *args],
        cwd=ROOT,
        env=env | environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop(server: subprocess.Popen) -> str:
    server.terminate()
    output, _ = server.communicate(timeout=20)
    return output


def test_a_bad_setting_stops_it_in_plain_words(tmp_path):
    server = serve(tmp_path, FLASK_COMMENTS_PER_PAGE="0")
    output, _ = server.communicate(timeout=60)
    assert server.returncode != 0
    assert "FLASK_COMMENTS_PER_PAGE must be a whole number from 1 to 1000, not '0'" in output
    assert "Traceback" not in output


def test_a_bad_worker_count_is_refused_before_anything_starts(tmp_path):
    server = serve(tmp_path, WEB_CONCURRENCY="none")
    output, _ = server.communicate(timeout=60)
    assert server.returncode != 0
    assert "Invalid value for '--workers'" in output and "'none' is not a valid integer" in output


def test_it_serves_with_the_workers_asked_for_and_under_its_mount_path(tmp_path):
    port = free_port()
    server = serve(tmp_path, "--port", str(port), WEB_CONCURRENCY="2", SCRIPT_NAME="/blog")
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/blog", server)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(children) == 2  # granian's master, forked into its two workers
        front = requests.get(f"http://127.0.0.1:{port}/blog/", timeout=5)
        assert front.status_code == 200
        assert 'href="/blog/static/' in front.text
        # one process tree: the checking `flask` process became granian's master, not its parent
        assert "granian" in Path(f"/proc/{server.pid}/cmdline").read_text()
    finally:
        output = stop(server)
    assert "Traceback" not in output
