"""The engine knows no built-in spec: no field, table or column id of specs/*.yaml appears as a
string in ``xltargets/`` (issue 12). What the engine needs of a form comes from the spec's roles.

A few ids coincide with the engine's own vocabulary and are allowed as words, each for the reason
given: the role names themselves (``roles.project_code`` is the engine's name for "the field that
is a project's code"; the database's tables and columns are named after the roles: ``indicators``,
``level1`` …), ``year`` (the form's year in the stamp, the JSON and ``source: year``) and the value
kinds (``phone``). Everything else (``dept_name``, ``budget_total``, ``goal`` …) found here means
code that only works for the province it was written with.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from xltargets.spec import builtin_ids, load_spec
from xltargets.spec.model import IndicatorRoles, Kind, Roles

ROOT = Path(__file__).resolve().parent.parent / "xltargets"
ENGINE_WORDS = (set(Roles.model_fields) | set(IndicatorRoles.model_fields) | {"year"}
                | {k.value for k in Kind})


def spec_ids() -> set[str]:
    ids: set[str] = set()
    for spec_id in builtin_ids():
        spec = load_spec(spec_id)
        for sheet in spec.sheets:
            ids.update(f.id for f in sheet.fields)
            for table in sheet.tables:
                ids.add(table.id)
                ids.update(c.id for c in table.columns)
    return ids


def string_literals(path: Path) -> list[tuple[int, str]]:
    out = []
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for tok in tokens:
        if tok.type == tokenize.STRING:
            out.append((tok.start[0], tok.string))
    return out


def test_no_builtin_field_id_in_the_package():
    ids = spec_ids() - ENGINE_WORDS
    assert {"dept_name", "budget_total", "funds_use", "basis", "standard"} <= ids
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for line, literal in string_literals(path):
            body = literal.lstrip("rbfuRBFU").strip("'\"")
            for word in ids:
                if body == word or f'"{word}"' in literal or f"'{word}'" in literal:
                    found.append(f"{path.relative_to(ROOT.parent)}:{line}: {word}")
    assert found == []


def test_the_grep_would_see_an_id(tmp_path):
    """The scan above is not blind: a planted lookup by a spec id is found."""
    planted = tmp_path / "x.py"
    planted.write_text('def f(project):\n    return project.get("budget_total")\n', encoding="utf-8")
    assert any(body.strip("'\"") == "budget_total" for _, body in string_literals(planted))
