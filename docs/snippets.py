"""The documentation's Python code blocks, as runnable units.

Every fenced ``python`` block of ``docs/**/*.md`` is code a reader may copy: the tests run
each one (``tests/test_docs.py``) and ``.ci/run`` checks them with ``mypy --strict``
(``python docs/snippets.py OUT_DIR`` writes them out as modules). A block whose first line
is ``# continued`` carries on from the previous block of the same page.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent
_FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass
class Snippet:
    """One runnable unit: a block, or a block and the ones that continue it."""

    page: str
    line: int
    code: str

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"


def snippets() -> list[Snippet]:
    found: list[Snippet] = []
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text()
        page = str(path.relative_to(DOCS))
        for match in _FENCE.finditer(text):
            code = match.group(1)
            line = text.count("\n", 0, match.start()) + 2
            if code.startswith("# continued\n") and found and found[-1].page == page:
                found[-1].code += "\n" + code
            else:
                found.append(Snippet(page, line, code))
    return found


def write(out: Path) -> list[Path]:
    """Each unit as ``out/<page>_<line>.py``, for mypy."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for snippet in snippets():
        stem = re.sub(r"\W", "_", snippet.page.removesuffix(".md"))
        path = out / f"doc_{stem}_{snippet.line}.py"
        path.write_text(snippet.code)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1])):
        print(path)
