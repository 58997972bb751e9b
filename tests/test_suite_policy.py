"""The suite stands on its own: its corpora are in the repository, and under CI=true a skip is a failure
unless its reason is on the allow-list in conftest.py."""

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ALLOWED_SKIPS, CORPORA, ROOT, corpus

# A tiny suite run in a subprocess with conftest.py's hooks, so that CI is read as a real run reads it.
TINY_CONFTEST = "from tests.conftest import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401\n"
TINY_TESTS = f"""
import pytest

def test_passes():
    pass

def test_skips_for_an_allowed_reason():
    pytest.skip({ALLOWED_SKIPS[0]!r})

def test_skips_for_a_missing_tool():
    pytest.skip("some-tool is not installed")

@pytest.fixture
def needs_a_service():
    pytest.skip("the service is not running")

def test_skips_in_a_fixture(needs_a_service):
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_to_fail():
    assert False
"""
TINY_MODULE_SKIP = 'import pytest\n\npytest.skip("nothing to test here", allow_module_level=True)\n'


def run_tiny_suite(tmp_path, ci: str) -> tuple[int, dict[str, int], str]:
    """Run the tiny suite with CI set to ``ci``; return its exit code, its summary's counts and its output."""
    (tmp_path / "conftest.py").write_text(TINY_CONFTEST)
    (tmp_path / "test_tiny.py").write_text(TINY_TESTS)
    (tmp_path / "test_module_skip.py").write_text(TINY_MODULE_SKIP)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = done.stdout.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}
    return done.returncode, counts, done.stdout


def test_under_ci_a_skip_fails_unless_its_reason_is_allowed(tmp_path):
    code, counts, out = run_tiny_suite(tmp_path, "true")
    assert (code, counts) == (1, {"failed": 1, "passed": 1, "skipped": 1, "xfailed": 1, "errors": 2}), out
    assert "FAILED test_tiny.py::test_skips_for_a_missing_tool" in out
    assert "ERROR test_tiny.py::test_skips_in_a_fixture" in out  # pytest's word for a failure in setup
    assert "its reason 'the service is not running' is not in ALLOWED_SKIPS (tests/conftest.py)" in out
    assert "ERROR test_module_skip.py" in out
    assert "its reason 'nothing to test here' is not in ALLOWED_SKIPS" in out
    assert re.search(rf"SKIPPED \[1\] test_tiny.py:\d+: {re.escape(ALLOWED_SKIPS[0])}", out), out


def test_outside_ci_a_skip_stays_a_skip(tmp_path):
    code, counts, out = run_tiny_suite(tmp_path, "")
    assert (code, counts) == (0, {"passed": 1, "skipped": 4, "xfailed": 1}), out


def test_every_corpus_folder_carries_its_source_and_licence():
    folders = sorted(p for p in CORPORA.iterdir() if p.is_dir())
    assert [p.name for p in folders] == [
        "bleach-regression-tests",
        "commonmark-spec",
        "isemail-tests",
        "wptest-wxr",
        "xss-payloadbox",
        "youtube-spam-collection",
    ]
    for folder in folders:
        source = (folder / "SOURCE.md").read_text(encoding="utf-8")
        assert "Licence:" in source, folder.name
        # Each keeps its licence text beside the data, but for the YouTube collection, whose CC BY 4.0
        # terms and the attribution they require are set out in its SOURCE.md.
        assert list(folder.glob("LICENSE*")) or "CC BY 4.0" in source, folder.name


def test_a_missing_corpus_file_fails_rather_than_skips():
    with pytest.raises(pytest.fail.Exception, match="no-such-corpus.*is missing: it belongs in the repository"):
        corpus("no-such-corpus", "data.txt")
