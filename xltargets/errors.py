"""The one error tree of xltargets.

    XltargetsError                 anything xltargets raises on purpose
    ├── SpecError                  a spec file is wrong (file, line, location in the spec)
    ├── RosterError                a roster row is wrong (file, row)
    ├── TemplateError              a template could not be drawn (a bug or an impossible spec)
    ├── WorkbookError              a returned file cannot be read at all (file, code)
    └── CollectError               a batch cannot run (bad inbox, bad manifest)

Problems *inside* a readable workbook are not errors: they are findings, returned as data.
Errors from dependencies (YAML, zip, XML, openpyxl, XlsxWriter) are converted where they are
caught, so a caller only ever needs ``except XltargetsError``. ``str(error)`` is the one-line
message the CLI prints.
"""

from __future__ import annotations

from pathlib import Path


class XltargetsError(Exception):
    """Base of every error xltargets raises on purpose."""

    #: stable English code, for scripts and the JSON outputs
    code: str = "error"


class SpecError(XltargetsError):
    """A spec file is malformed or inconsistent."""

    code = "spec_invalid"

    def __init__(self, message: str, *, path: str | Path | None = None,
                 line: int | None = None, location: str | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.location = location
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
        if self.location:
            return f"{where} {self.location}: {self.message}"
        return f"{where}: {self.message}"


class RosterError(XltargetsError):
    """A roster (list of departments and projects) is malformed."""

    code = "roster_invalid"

    def __init__(self, message: str, *, path: str | Path | None = None,
                 row: int | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.row = row
        where = self.path or "<roster>"
        if row is not None:
            where += f" 第{row}行"
        super().__init__(f"{where}: {message}")


class TemplateError(XltargetsError):
    """Drawing a template failed (XlsxWriter refused a call, or the spec cannot be drawn)."""

    code = "template_failed"


class WorkbookError(XltargetsError):
    """A returned file cannot be read at all.

    ``code`` is a stable English code (``encrypted``, ``legacy_xls``, ``zip_bomb`` …);
    ``message`` is the Chinese sentence shown to reviewers and departments.
    """

    code = "unreadable"

    def __init__(self, code: str, message: str, *, path: str | Path | None = None,
                 detail: str | None = None) -> None:
        self.code = code
        self.message = message
        self.path = str(path) if path is not None else None
        self.detail = detail
        text = f"{self.path or '<workbook>'}: {message} [{code}]"
        if detail:
            text += f" ({detail})"
        super().__init__(text)


class CollectError(XltargetsError):
    """A batch cannot run at all (the inbox or the manifest is unusable)."""

    code = "collect_failed"
