"""The JSON Schemas that ship with the package (``xltargets schema submission``).

``schemas/submission.schema.json`` is the contract of the submission JSON (docs/json.md); the
wheel carries it as package data (``xltargets/_data/schemas``), a source checkout has it at the
repository's root.
"""

from __future__ import annotations

from pathlib import Path

from .errors import XltargetsError

SUBMISSION = "submission.schema.json"


def schema_path(name: str = SUBMISSION) -> Path:
    here = Path(__file__).resolve().parent
    for folder in (here / "_data" / "schemas", here.parent / "schemas"):
        if (folder / name).is_file():
            return folder / name
    raise XltargetsError(f"找不到 {name}（安装不完整，请重新安装 xltargets）")


def schema_text(name: str = SUBMISSION) -> str:
    return schema_path(name).read_text(encoding="utf-8")
