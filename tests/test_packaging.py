"""The wheel a user installs from a clone (flask-jwtauth is not on PyPI yet): built the way
``pip install /path/to/the/clone`` builds it, it carries the templates, the browser helper,
``py.typed`` and the pytest plugin's entry point."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_templates_script_types_and_the_plugin(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = tmp_path.glob("flask_jwtauth-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "flask_jwtauth"
    expected = {
        str(path.relative_to(ROOT))
        for pattern in ("templates/jwtauth/*.html", "templates/jwtauth/email/*", "static/*.js")
        for path in package.glob(pattern)
    }
    expected |= {"flask_jwtauth/py.typed", "flask_jwtauth/__init__.py"}
    assert expected <= names, sorted(expected - names)
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]" in text and "flask_jwtauth.pytest_plugin" in text
