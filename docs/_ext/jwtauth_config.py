"""``{jwtauth-config}``: the configuration reference, generated from the code's one table of
defaults (``flask_jwtauth.config.defaults.DEFAULTS``), so the docs cannot drift from it."""

from __future__ import annotations

import inspect
import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from flask_jwtauth.config import defaults
from flask_jwtauth.config.defaults import AUTHJS_DEFAULTS, DEFAULTS


def _groups() -> list[tuple[str, list[str]]]:
    """The keys under the ``# -- <group>`` comments of the table of defaults, in its order
    (the settings most apps set come first there)."""
    groups: list[tuple[str, list[str]]] = []
    for line in inspect.getsource(defaults).splitlines():
        title = re.match(r"\s+# -- (.+)", line)
        key = re.match(r'\s+"(JWTAUTH_\w+)": Key\(', line)
        if title:
            groups.append((title.group(1)[:1].upper() + title.group(1)[1:], []))
        elif key and groups:
            groups[-1][1].append(key.group(1))
    return groups


def _default(key: str) -> str:
    entry = DEFAULTS[key]
    if entry.derived:
        return entry.derived
    return repr(entry.default)


class ConfigTable(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        out: list[nodes.Node] = []
        listed: set[str] = set()
        for title, keys in _groups():
            out += [nodes.rubric(text=title), self._table(keys)]
            listed.update(keys)
        rest = [key for key in DEFAULTS if key not in listed]
        if rest:
            out += [nodes.rubric(text="Other"), self._table(rest)]
        compat = nodes.paragraph(
            text="JWTAUTH_AUTHJS_COMPAT = True sets, unless the app sets them itself: "
            + ", ".join(f"{k} = {v!r}" for k, v in AUTHJS_DEFAULTS.items())
            + "."
        )
        return [*out, compat]

    def _table(self, keys: list[str]) -> nodes.table:
        table = nodes.table()
        group = nodes.tgroup(cols=3)
        table += group
        for width in (26, 12, 62):  # the meaning is the long column
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row(["Key", "Default", "Meaning"], literal=False)
        body = nodes.tbody()
        group += body
        for key in keys:
            body += self._row([key, _default(key), DEFAULTS[key].doc], literal=True)
        return table

    def _row(self, cells: list[str], *, literal: bool) -> nodes.row:
        row = nodes.row()
        for index, text in enumerate(cells):
            entry = nodes.entry()
            para = nodes.paragraph()
            if literal and index < 2:
                para += nodes.literal(text=text)
            else:
                para += nodes.Text(text)
            entry += para
            row += entry
        return row


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("jwtauth-config", ConfigTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
