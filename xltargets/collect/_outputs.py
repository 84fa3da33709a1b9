"""The plain outputs: results.csv/.json, submissions.jsonl/.json, missing.csv.

CSV files are UTF-8 with a byte-order mark (Excel in a Chinese locale reads UTF-8 correctly only
with it) and quote as needed. A text cell that starts with ``= + - @`` (or a tab or carriage
return) would run as a formula when the CSV is opened in Excel or WPS; it gets a leading
apostrophe, which both show as "this is text". Numbers are written as numbers.

JSON is written compactly, one submission per line in the JSONL; the JSON array is written
line by line at the same time, so no file is ever held in memory whole.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from .._atomic import open_atomic

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RESULTS_FORMAT = "xltargets.collect-results/1"


def csv_safe(value: Any) -> Any:
    """A CSV cell that no spreadsheet program runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return "" if value is None else value


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    with open_atomic(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([csv_safe(h) for h in header])
        for row in rows:
            writer.writerow([csv_safe(v) for v in row])


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SubmissionsWriter:
    """submissions.jsonl and submissions.json, written one submission at a time."""

    def __init__(self, out_dir: Path, stack: ExitStack) -> None:
        self._jsonl: IO[bytes] = stack.enter_context(open_atomic(out_dir / "submissions.jsonl", "wb"))
        self._json: IO[bytes] = stack.enter_context(open_atomic(out_dir / "submissions.json", "wb"))
        self._json.write(b"[")
        self._first = True
        self.count = 0

    def add(self, line: bytes) -> None:
        """``line``: one submission as compact JSON, UTF-8 (no newline), as spooled."""
        self._jsonl.write(line)
        self._jsonl.write(b"\n")
        self._json.write(b"\n" if self._first else b",\n")
        self._json.write(line)
        self._first = False
        self.count += 1

    def close(self) -> None:
        self._json.write(b"\n]\n" if not self._first else b"]\n")


def write_results(out_dir: Path, header: dict[str, Any], rows: Iterator[dict[str, Any]],
                  columns: list[str]) -> None:
    """results.json (header fields, then the ``files`` array, streamed) and results.csv."""
    with ExitStack() as stack:
        js = stack.enter_context(open_atomic(out_dir / "results.json", "w", encoding="utf-8",
                                             newline="\n"))
        fh = stack.enter_context(open_atomic(out_dir / "results.csv", "w", encoding="utf-8-sig",
                                             newline=""))
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(columns)
        head = json.dumps({"format": RESULTS_FORMAT, **header}, ensure_ascii=False, indent=1)
        js.write(head[:-2] + ',\n "files": [')
        first = True
        for row in rows:
            writer.writerow([csv_safe(row[c]) for c in columns])
            js.write("\n  " if first else ",\n  ")
            js.write(dumps(row))
            first = False
        js.write("\n ]\n}\n" if not first else "]\n}\n")
