"""The documentation: every Python block runs, the configuration reference comes from the
code's table of defaults, and the site builds with Sphinx with warnings as errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))

from snippets import Snippet, snippets  # noqa: E402

SNIPPETS = snippets()


def test_every_guide_shows_code_that_runs() -> None:
    pages = {s.page for s in SNIPPETS}
    guides = {f"guides/{p.name}" for p in (ROOT / "docs" / "guides").glob("*.md")}
    assert guides - pages == {"guides/security.md"}  # the threat model, not code
    assert len(SNIPPETS) >= 15


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.name for s in SNIPPETS])
def test_snippet_runs(snippet: Snippet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # files a snippet makes (SQLite stores) go there
    # What getting-started tells a reader to export before running the app.
    monkeypatch.setenv("JWTAUTH_SECRET", "docs-environment-secret-Qm4Rt8Yu2Io6Pa1Sd5Fg")
    monkeypatch.setenv("FLASK_SECRET_KEY", "docs-flask-secret-key-Zx3Cv7Bn1Mq5Wk9Ej2Rh")
    # A real module, as a reader's file would be (dataclasses look their module up).
    module = types.ModuleType(f"doc_snippet_{snippet.line}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(snippet.code, snippet.name, "exec"), module.__dict__)


def test_the_site_builds_without_warnings(tmp_path: Path) -> None:
    pytest.importorskip("sphinx", reason="pip install -e '.[docs]'")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(ROOT / "docs"), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    html = (tmp_path / "html" / "configuration.html").read_text()
    from flask_jwtauth.config import DEFAULTS

    missing = [key for key in DEFAULTS if key not in html]
    assert missing == []
    # Grouped, the settings most apps set first (issue 21, item 18): the session's lifetime
    # before the niche compatibility keys.
    groups = re.findall(r'class="rubric">([^<]+)', html)
    assert groups[:2] == ["Secrets and token format", "Session lifetime"]
    assert groups.index("Sharing with Auth.js") > groups.index("Upstream access tokens")


def test_the_typed_sessions_block_type_checks_under_mypy_strict(tmp_path: Path) -> None:
    """Issue 21, item 22: Session[AppUser] and get_session()/get_token() with a shape pass
    mypy --strict, and a key the shape does not have fails it (so the check has teeth)."""
    pytest.importorskip("mypy", reason="pip install -e '.[test]'")
    (block,) = [s for s in SNIPPETS if s.page == "api.md" and "Session[AppUser]" in s.code]
    good = tmp_path / "typed_ok.py"
    good.write_text(block.code)
    bad = tmp_path / "typed_bad.py"
    bad.write_text(block.code.replace("typed['user']['username']", "typed['user']['usernam']"))
    assert bad.read_text() != good.read_text()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MYPYPATH": str(ROOT)}
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    command += ["--cache-dir", os.devnull, "--python-version", "3.11"]
    ok = subprocess.run([*command, str(good)], capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    failed = subprocess.run([*command, str(bad)], capture_output=True, text=True, env=env)
    assert failed.returncode == 1 and '"usernam"' in failed.stdout, failed.stdout

