"""What runs in a worker process: reading one file, and drawing one feedback copy.

Both are module-level functions of one picklable argument (see :mod:`._pool`). A worker does all
the per-file work that costs CPU (reading, checking, turning the submission into JSON text,
drawing feedback workbooks), so that the parent only routes results and writes outputs.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import re
from array import array
from bisect import bisect_left
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._atomic import write_bytes
from ..errors import WorkbookError
from ..read import Limits, ReadOptions, open_package, read_workbook
from ..read._zip import Package
from ..spec import load_spec
from ..spec.load import SPEC_PATH_ENV
from ..spec.model import Spec
from ._faults import cap, cap_detail, cap_submission, max_json_chars
from ._model import KEPT, UNEXPECTED, UNREADABLE, FormRoles, ReadOutcome, ReturnInfo, reason
from ._own import Owned, private_copy
from ._prefill import defend_prefilled
from ._prepared import prepare

if TYPE_CHECKING:
    from ._manifest import Prefilled

#: WorkbookError codes that say "a workbook, but not one of our forms": status ``unexpected``
FOREIGN_CODES = frozenset({"unknown_form", "unknown_spec", "wrong_spec"})
CORE_PART = "docProps/core.xml"
_CORE_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>\s*([0-9T:.\-]+)Z?\s*</dcterms:modified>")


class TemplateIds:
    """A set of template ids, compact: each worker holds the manifest's (20,000 in a province).

    An id as the generator writes it (``T`` and 15 upper-case hexadecimal digits) is kept as
    one 64-bit number in a sorted array (8 bytes, against some 120 for a string in a set, in
    the parent and in every worker); any other text is kept as it is. Membership is exact:
    the same answers as a set of the strings."""

    __slots__ = ("_numbers", "_others")

    def __init__(self, ids: Iterable[str]) -> None:
        numbers: set[int] = set()
        others: set[str] = set()
        for tid in ids:
            if _GENERATED_ID.fullmatch(tid):
                numbers.add(int(tid[1:], 16))
            else:
                others.add(tid)
        self._numbers = array("Q", sorted(numbers))
        self._others = frozenset(others)

    def __contains__(self, tid: object) -> bool:
        if isinstance(tid, str) and _GENERATED_ID.fullmatch(tid):
            number = int(tid[1:], 16)
            at = bisect_left(self._numbers, number)
            return at < len(self._numbers) and self._numbers[at] == number
        return tid in self._others

    def __len__(self) -> int:
        return len(self._numbers) + len(self._others)

    def __reduce__(self) -> tuple[Any, ...]:
        return _template_ids, (self._numbers, self._others)


def _template_ids(numbers: array[int], others: frozenset[str]) -> TemplateIds:
    ids = TemplateIds(())
    ids._numbers, ids._others = numbers, others
    return ids


#: a template id as the generator makes it (:func:`xltargets.stamp.template_id`)
_GENERATED_ID = re.compile(r"T[0-9A-F]{15}")


@dataclass(frozen=True)
class Expected:
    """What the manifest says was sent out (None fields: no manifest)."""

    spec_id: str
    year: int
    #: a :class:`TemplateIds` (any container of the ids will do)
    template_ids: Container[str]
    #: template id -> the values it was sent with, locked (:mod:`._prefill`)
    prefilled: Mapping[str, tuple[Prefilled, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadTask:
    index: int
    rel: str
    path: str
    limits: Limits
    #: None: the worker's own (given once to :func:`warm_up`), or no manifest
    expected: Expected | None
    #: where the private copy goes (see :mod:`._own`); "" for the system's temporary folder
    scratch: str = ""
    #: False when the scan saw a plain file: a symbolic link there now is not followed
    follow: bool = True


@dataclass(frozen=True)
class FeedbackTask:
    json_text: str
    target: str
    password: str | None


def read_task(task: ReadTask) -> ReadOutcome:
    """Read one returned file into its outcome. Never raises for a bad file.

    The file is read from a private copy in memory, read through one open descriptor
    (:mod:`._own`), so the SHA-256 (computed once, on those bytes) names exactly the bytes that
    were read."""
    with private_copy(task.path, task.scratch, task.limits.max_file_bytes,
                      follow=task.follow) as own:
        if own.path is None:
            return ReadOutcome(task.index, UNREADABLE, own.problem,
                               reason(own.problem, why=own.why or "?"), size=own.size,
                               mtime=own.mtime)
        return _read_own(task, own)


def _read_own(task: ReadTask, own: Owned) -> ReadOutcome:
    path = Path(own.path or "")
    size, mtime = own.size, own.mtime
    expected = task.expected if task.expected is not None else _expected
    saved: list[float | None] = [None]

    def save_time(pkg: Package) -> None:
        saved[0] = _saved_time(pkg)

    try:
        # the SHA-256 was computed while the private copy was made: the reader need not hash
        # the file again; the save time is read from the package the reader has open
        submission = read_workbook(path, ReadOptions(limits=task.limits, sha256=own.sha256,
                                                     with_package=save_time, data=own.data))
    except WorkbookError as exc:
        status = UNEXPECTED if exc.code in FOREIGN_CODES else UNREADABLE
        # the hash of the bytes read (none of a file cut at the size limit: it was not read)
        return ReadOutcome(task.index, status, exc.code, exc.message, sha256=own.sha256,
                           size=size,
                           mtime=mtime, detail=cap_detail(exc.detail or ""))
    # the JSON stays the reader's (schemas/submission.schema.json), every text bounded
    # (_faults.cap_submission): results.json joins it to the file's path by source.sha256
    data = submission.to_json()
    cap_submission(data)
    stamp = data["source"].get("stamp") or {}
    # who returned it: the stamp the generator wrote, else the fields the spec's roles name
    roles = FormRoles.of(data["spec"]["id"])
    unit_code = str(stamp.get("unit_code") or roles.unit_code(data))
    unit_name = str(stamp.get("unit_name") or roles.unit_name(data))
    template_id = str(stamp.get("template_id") or "")
    status, why, message = data["status"], "", ""
    changed = 0
    if expected is not None:
        why, message = _unexpected(expected, data, stamp, template_id)
        if why:
            status = UNEXPECTED
        elif expected.prefilled:
            changed = defend_prefilled(spec_of(data["spec"]["id"]), data,
                                       expected.prefilled.get(template_id, ()))
            status = data["status"]
    indicators = roles.indicator_count(data)
    json_text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(json_text) > max_json_chars(size):
        limit = f"{max_json_chars(size) // 2**20} MB"
        return ReadOutcome(task.index, UNREADABLE, "output_too_large",
                           reason("output_too_large", limit=limit),
                           sha256=data["source"].get("sha256") or "", size=size, mtime=mtime)
    outcome = ReadOutcome(
        task.index, status, why, message, unit_code=unit_code, unit_name=unit_name,
        template_id=template_id, spec_id=data["spec"]["id"], year=int(data.get("year") or 0),
        errors=len(submission.errors) + changed, warnings=len(submission.warnings),
        sha256=data["source"].get("sha256") or "", size=size, mtime=mtime,
        saved=saved[0],
        key=unit_code or (f"name:{unit_name}" if unit_name else ""),
        projects=len(data.get("projects") or []), indicators=indicators,
        findings=len(data.get("findings") or []),
        json_text=json_text,
    )
    if _prepare_rows and status in KEPT:
        outcome = replace(outcome, prepared=_prepared(task.rel, outcome, expected))
    return outcome


def _prepared(rel: str, outcome: ReadOutcome, expected: Expected | None) -> bytes | None:
    """The return's rows for every output (:mod:`._prepared`), made from its JSON text exactly
    as the parent would make them (from the text, with the parent's bounds on what it records),
    for the 汇总表 columns of the specs the batch will have: this return's and the manifest's.
    None when anything goes wrong: the parent then makes them itself."""
    try:
        info = ReturnInfo(rel, outcome.status, cap(outcome.unit_code, 40),
                          cap(outcome.unit_name, 500), cap(outcome.template_id, 40),
                          outcome.errors, outcome.warnings, outcome.year)
        specs = {cap(outcome.spec_id, 100)} | ({expected.spec_id} if expected is not None else set())
        data = json.loads(outcome.json_text or "")
        return prepare(tuple(sorted(specs)), info, data).to_bytes()
    except Exception:
        return None


def _unexpected(expected: Expected, data: dict[str, Any], stamp: dict[str, Any],
                template_id: str) -> tuple[str, str]:
    spec_id = data["spec"]["id"]
    if spec_id != expected.spec_id:
        return "other_spec", reason("other_spec", spec_id=spec_id, expected=expected.spec_id)
    if int(data.get("year") or 0) != expected.year:
        return "other_year", reason("other_year", year=data.get("year"), expected=expected.year)
    if not stamp:
        return "no_stamp", reason("no_stamp")
    if template_id not in expected.template_ids:
        return "not_in_manifest", reason("not_in_manifest", template_id=template_id)
    return "", ""


def _saved_time(source: Package | str | os.PathLike[str], limits: Limits | None = None
                ) -> float | None:
    """When the workbook was last saved, by its own core properties (UTC), or None.

    A better "newest" than the file's modification time, which mail clients and USB copies reset.
    ``source``: the package the reader has just opened and checked (its zip directory already
    parsed; a worker does that), or a file's path (opened here with the reader's checks). At most
    the first 64 KB of docProps/core.xml are inflated, within the reader's limits.
    """
    if not isinstance(source, Package):
        try:
            with open_package(source, limits or Limits()) as pkg:
                return _saved_time(pkg)
        except (WorkbookError, OSError, ValueError):
            return None
    name = source.find(CORE_PART)
    if name is None:
        return None
    try:
        head = source.read_head(name, 64 * 1024)
    except (WorkbookError, OSError, ValueError):
        return None
    match = _CORE_MODIFIED.search(head)
    if match is None:
        return None
    text = match.group(1).decode("ascii", "replace")[:19]
    try:
        when = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    return float(calendar.timegm(when.timetuple()))


@lru_cache(maxsize=16)
def spec_of(spec_id: str) -> Spec:
    """A spec by id, looked up once per process (its file is not looked at for every return);
    emptied by collect before and after each run (a round's spec is pinned for the run)."""
    return load_spec(spec_id)


def feedback_task(task: FeedbackTask) -> int:
    """Draw one feedback copy and write it (atomically); returns its size in bytes."""
    return draw_feedback(task, _expected)


def draw_feedback(task: FeedbackTask, expected: Expected | None) -> int:
    """:func:`feedback_task` with the manifest's :class:`Expected` given (in the parent)."""
    from ._feedback import feedback_workbook  # the generator: loaded by the first copy only

    data = json.loads(task.json_text)
    spec = spec_of(data["spec"]["id"])
    prefilled: tuple[Prefilled, ...] = ()
    if expected is not None:  # the manifest: lock again what the template was sent with
        stamp = (data.get("source") or {}).get("stamp") or {}
        prefilled = expected.prefilled.get(str(stamp.get("template_id") or ""), ())
    workbook = feedback_workbook(spec, data, password=task.password, prefilled=prefilled)
    os.makedirs(os.path.dirname(task.target) or ".", exist_ok=True)
    write_bytes(task.target, workbook)
    return len(workbook)


#: what the manifest says was sent, given to each worker once (:func:`warm_up`): the set of
#: template ids of a province is large, and pickling it with every task made a batch quadratic
_expected: Expected | None = None
#: make each kept return's rows here (:mod:`._prepared`), not in the parent (:func:`warm_up`)
_prepare_rows = False


def warm_up(expected: Expected | None = None, spec_path: str | None = None,
            prepare_rows: bool = False, round_spec: Spec | None = None) -> None:
    """Worker initialiser: load the built-in specs once, before the first file's clock starts,
    and keep the manifest's :class:`Expected` for every :class:`ReadTask` that carries none.
    ``spec_path``: the parent's XLTARGETS_SPEC_PATH (a worker forked from a server started
    earlier has that server's environment). ``prepare_rows``: make each kept return's rows for
    the outputs here (:mod:`._prepared`), when the parent has no CPU to spare for them.
    ``round_spec``: the spec the round's templates were generated from (the manifest's), which
    stands for its id in this worker for its whole life (one run)."""
    global _expected, _prepare_rows
    _expected, _prepare_rows = expected, prepare_rows
    if spec_path is not None:
        os.environ[SPEC_PATH_ENV] = spec_path
    from ..layout import plan
    from ..spec.load import builtin_ids, pin_spec

    if round_spec is not None:
        pin_spec(round_spec)
        spec_of.cache_clear()
    for spec_id in sorted({*builtin_ids(), *([round_spec.id] if round_spec else [])}):
        plan(spec_of(spec_id), 1)
