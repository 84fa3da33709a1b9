"""report.html: the batch at a glance, for the office (Chinese; Jinja2 with autoescape on).

The template is streamed (``Template.generate``) over generators that read each return's
findings from the spool when its turn comes, so the report of 20,000 returns is written without
holding them. Everything a department typed is escaped by Jinja2: a value like ``<script>`` is
shown, never run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2

from .._atomic import open_atomic
from ._entries import EntryStore
from ._model import STATUS_LABELS, Entry

TEMPLATE = "report.html.j2"


def _templates_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / "templates", here.parent / "templates"):
        if (candidate / TEMPLATE).is_file():
            return candidate
    raise FileNotFoundError(f"{TEMPLATE} not found (broken installation)")


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_templates_dir())),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _return_view(entry: Entry, findings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "file": entry.rel, "status": entry.status, "label": entry.label,
        "unit_code": entry.unit_code, "unit_name": entry.unit_name,
        "template_id": entry.template_id, "errors": entry.errors, "warnings": entry.warnings,
        "projects": entry.projects, "feedback": f"feedback/{entry.feedback}" if entry.feedback else "",
        "findings": findings,
    }


def write_report(path: Path, *, entries: EntryStore | list[Entry],
                 load: Callable[[Entry], list[dict[str, Any]]],
                 counts: dict[str, int], missing: list[dict[str, Any]], context: dict[str, Any]
                 ) -> None:
    """Render the report. ``load`` gives a kept entry's findings as the report lists them
    (:func:`~._prepared.report_findings`, kept in the spool)."""

    def returns() -> Iterator[dict[str, Any]]:
        # sorted by index, not as entries: a province's entries may live in a side table
        order = sorted((e.unit_code, e.rel, e.index) for e in entries if e.kept)
        for _, _, index in order:
            entry = entries[index]
            yield _return_view(entry, load(entry))

    def others() -> Iterator[Entry]:
        return (e for e in entries if not e.kept)

    template = environment().get_template(TEMPLATE)
    stream = template.generate(
        returns=returns(), others=others(), counts=counts, labels=STATUS_LABELS,
        missing=missing, total=len(entries),
        has_others=any(not e.kept for e in entries), **context)
    with open_atomic(path, "w", encoding="utf-8", newline="\n") as fh:
        for chunk in stream:
            fh.write(chunk)
