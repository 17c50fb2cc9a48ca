"""``{jwtauth-config}``: the configuration reference, generated from the code's one table of
defaults (``flask_jwtauth.config.defaults.DEFAULTS``), so the docs cannot drift from it."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from flask_jwtauth.config.defaults import AUTHJS_DEFAULTS, DEFAULTS


def _default(key: str) -> str:
    entry = DEFAULTS[key]
    if entry.derived:
        return entry.derived
    return repr(entry.default)


class ConfigTable(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        table = nodes.table()
        group = nodes.tgroup(cols=3)
        table += group
        for width in (30, 15, 55):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row(["Key", "Default", "Meaning"], literal=False)
        body = nodes.tbody()
        group += body
        for key, entry in DEFAULTS.items():
            body += self._row([key, _default(key), entry.doc], literal=True)
        compat = nodes.paragraph(
            text="JWTAUTH_AUTHJS_COMPAT = True sets, unless the app sets them itself: "
            + ", ".join(f"{k} = {v!r}" for k, v in AUTHJS_DEFAULTS.items())
            + "."
        )
        return [table, compat]

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
