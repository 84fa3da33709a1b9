"""collect's duplicate logic, tested where it runs (for `make mutate`, docs/testing.md).

Which return of a department is kept (``newest`` / ``oldest`` by the workbook's own save time,
else the file time, else the name; ``fail``) is decided in the collecting process by
``_Run.resolve`` on the entries the readers reported; the save time comes from the workbook's
``docProps/core.xml`` (``_saved_time``, in the reader processes). Both are exercised here in
this process, on real entries and real workbooks, so each mutant of them is run by a test.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from forms import CLEAN, write_fill

from xltargets.collect._collect import DuplicateError, _Run
from xltargets.collect._entries import EntryStore
from xltargets.collect._model import Entry, ReadOutcome
from xltargets.collect._work import _saved_time
from xltargets.read import Limits

SPEC = "hebei-county"


def entry(i: int, rel: str, *, status: str = "accepted", key: str = "224001", year: int = 2025,
          spec: str = SPEC, saved: float | None = None, mtime: float | None = None,
          sha: str = "") -> Entry:
    outcome = ReadOutcome(i, status, spec_id=spec, year=year, key=key, saved=saved, mtime=mtime,
                          sha256=sha or f"{i:064x}", unit_code=key)
    return Entry(i, rel, status=status, outcome=outcome)


def resolve(entries: list[Entry], strategy: str, sent=None) -> dict[str, tuple[str, str, str]]:
    run = SimpleNamespace(entries=EntryStore(entries, Path(".")), sent=sent, missing=[])
    run._missing = lambda manifest: _Run._missing(run, manifest)  # type: ignore[arg-type]
    _Run.resolve(run, strategy)  # type: ignore[arg-type]
    assert all(e.reason == "duplicate" for e in entries if e.status == "duplicate")
    resolve.missing = run.missing  # type: ignore[attr-defined]
    return {e.rel: (e.status, e.kept_instead_of, e.message) for e in entries}


def test_newest_keeps_the_latest_save_time_whatever_the_file_times():
    got = resolve([entry(0, "a.xlsx", saved=300.0, mtime=1.0),
                   entry(1, "b.xlsx", saved=100.0, mtime=9.0),
                   entry(2, "c.xlsx", saved=200.0, mtime=5.0)], "newest")
    assert got == {
        "a.xlsx": ("accepted", "", ""),
        "b.xlsx": ("duplicate", "a.xlsx", "同一单位重复提交，已采用a.xlsx"),
        "c.xlsx": ("duplicate", "a.xlsx", "同一单位重复提交，已采用a.xlsx"),
    }


def test_oldest_keeps_the_earliest_save_time():
    got = resolve([entry(0, "a.xlsx", saved=300.0, mtime=1.0),
                   entry(1, "b.xlsx", saved=100.0, mtime=9.0),
                   entry(2, "c.xlsx", saved=200.0, mtime=5.0)], "oldest")
    assert {rel: s[:2] for rel, s in got.items()} == {
        "a.xlsx": ("duplicate", "b.xlsx"), "b.xlsx": ("accepted", ""),
        "c.xlsx": ("duplicate", "b.xlsx")}


def test_without_a_save_time_on_every_copy_the_file_time_decides():
    # one copy has no save time: save times cannot be compared, the file times are
    got = resolve([entry(0, "a.xlsx", saved=900.0, mtime=1.0),
                   entry(1, "b.xlsx", saved=None, mtime=5.0),
                   entry(2, "c.xlsx", saved=100.0, mtime=3.0)], "newest")
    assert {rel: s[0] for rel, s in got.items()} == {
        "a.xlsx": "duplicate", "b.xlsx": "accepted", "c.xlsx": "duplicate"}
    got = resolve([entry(0, "a.xlsx", saved=900.0, mtime=2.0),
                   entry(1, "b.xlsx", saved=None, mtime=None)], "oldest")
    assert got["b.xlsx"][0] == "accepted" and got["a.xlsx"][1] == "b.xlsx"


def test_a_copy_without_any_time_is_the_oldest():
    got = resolve([entry(0, "a.xlsx", saved=None, mtime=None),
                   entry(1, "b.xlsx", saved=None, mtime=0.5)], "newest")
    assert got["b.xlsx"][0] == "accepted" and got["a.xlsx"][:2] == ("duplicate", "b.xlsx")


def test_departments_sent_but_not_returned_are_missing_after_the_choice():
    def book(code: str, template: str) -> SimpleNamespace:
        return SimpleNamespace(template_id=template, unit_name=f"单位{code}", file=f"{code}.xlsx")
    sent = SimpleNamespace(departments=lambda: {"224001": [book("224001", "T1")],
                                                "224009": [book("224009", "T9")]})
    resolve([entry(0, "a.xlsx", key="224001"), entry(1, "b.xlsx", key="224001")], "newest", sent)
    assert resolve.missing == [{"unit_code": "224009", "unit_name": "单位224009",  # type: ignore[attr-defined]
                                "files": "224009.xlsx", "template_ids": "T9", "note": ""}]


def test_a_save_time_of_the_epoch_is_the_oldest():
    # 1970-01-01T00:00:00Z is a save time (0.0), not a missing one: the other copy is newer
    got = resolve([entry(0, "a.xlsx", saved=0.0, mtime=9.0),
                   entry(1, "b.xlsx", saved=0.5, mtime=1.0)], "newest")
    assert got["b.xlsx"][0] == "accepted" and got["a.xlsx"][:2] == ("duplicate", "b.xlsx")


def test_duplicates_are_recorded_in_a_spilled_store(tmp_path):
    # a large inbox keeps its entries in the side table: a duplicate's status must be put back
    entries = [entry(0, "a.xlsx", saved=1.0), entry(1, "b.xlsx", saved=3.0),
               entry(2, "c.xlsx", key="224002", saved=2.0)]
    store = EntryStore(entries, tmp_path, spill_at=1)
    assert store.spilled
    run = SimpleNamespace(entries=store, sent=None, missing=[])
    _Run.resolve(run, "newest")  # type: ignore[arg-type]
    assert [(e.rel, e.status, e.kept_instead_of, e.message) for e in store] == [
        ("a.xlsx", "duplicate", "b.xlsx", "同一单位重复提交，已采用b.xlsx"),
        ("b.xlsx", "accepted", "", ""), ("c.xlsx", "accepted", "", "")]


def test_equal_times_are_decided_by_the_path():
    got = resolve([entry(0, "z.xlsx", saved=5.0, mtime=5.0),
                   entry(1, "m.xlsx", saved=5.0, mtime=5.0)], "newest")
    assert got["z.xlsx"][0] == "accepted" and got["m.xlsx"][:2] == ("duplicate", "z.xlsx")
    got = resolve([entry(0, "z.xlsx", saved=5.0, mtime=5.0),
                   entry(1, "m.xlsx", saved=5.0, mtime=5.0)], "oldest")
    assert got["m.xlsx"][0] == "accepted" and got["z.xlsx"][:2] == ("duplicate", "m.xlsx")


def test_only_returns_of_one_department_spec_and_year_clash():
    entries = [entry(0, "a.xlsx", key="224001", saved=1.0),
               entry(1, "b.xlsx", key="224002", saved=2.0),
               entry(2, "c.xlsx", key="224001", year=2024, saved=3.0),
               entry(3, "d.xlsx", key="224001", spec="hunan", saved=4.0),
               entry(4, "e.xlsx", key="224001", status="unreadable", saved=5.0),
               entry(5, "f.xlsx", key="224001", status="rejected", saved=0.5)]
    got = resolve(entries, "newest")
    assert {rel: s[0] for rel, s in got.items()} == {
        "a.xlsx": "accepted", "b.xlsx": "accepted", "c.xlsx": "accepted",
        "d.xlsx": "accepted", "e.xlsx": "unreadable", "f.xlsx": "duplicate"}
    assert got["f.xlsx"][1] == "a.xlsx"


def test_returns_naming_nobody_clash_only_when_byte_identical():
    entries = [entry(0, "a.xlsx", key="", sha="1" * 64, saved=1.0),
               entry(1, "b.xlsx", key="", sha="2" * 64, saved=2.0),
               entry(2, "c.xlsx", key="", sha="1" * 64, saved=3.0)]
    got = resolve(entries, "newest")
    assert {rel: s[:2] for rel, s in got.items()} == {
        "a.xlsx": ("duplicate", "c.xlsx"), "b.xlsx": ("accepted", ""), "c.xlsx": ("accepted", "")}


def test_fail_names_every_group_and_changes_nothing():
    entries = [entry(0, "a.xlsx", key="224001"), entry(1, "b.xlsx", key="224001"),
               entry(2, "c.xlsx", key="224002"), entry(3, "d.xlsx", key="224003"),
               entry(4, "e.xlsx", key="224003")]
    with pytest.raises(DuplicateError) as caught:
        resolve(entries, "fail")
    assert caught.value.groups == [["a.xlsx", "b.xlsx"], ["d.xlsx", "e.xlsx"]]
    assert caught.value.code == "duplicates"
    assert str(caught.value) == ("有 2 个单位重复提交（a.xlsx、b.xlsx；d.xlsx、e.xlsx），"
                                 "请确定采用哪一份后重试，或改用 newest / oldest")
    assert [e.status for e in entries] == ["accepted"] * 5
    # no clash: fail changes nothing either
    assert resolve([entry(0, "a.xlsx")], "fail") == {"a.xlsx": ("accepted", "", "")}


def test_many_duplicate_groups_are_cut_at_ten_in_the_message():
    groups = [[f"{n}a.xlsx", f"{n}b.xlsx"] for n in range(12)]
    text = str(DuplicateError(groups))
    assert text.startswith("有 12 个单位重复提交（0a.xlsx、0b.xlsx；1a.xlsx、1b.xlsx；")
    assert "9a.xlsx、9b.xlsx，另有 2 组）" in text and "10a.xlsx" not in text
    assert "另有" not in str(DuplicateError(groups[:10]))
    assert str(DuplicateError(groups[:11])).startswith("有 11 个单位重复提交（")
    assert "，另有 1 组）" in str(DuplicateError(groups[:11]))


# -- the workbook's own save time ------------------------------------------------------------------

def _workbook(tmp_path: Path, name: str = "w.xlsx") -> Path:
    return write_fill(SPEC, CLEAN[SPEC][0](), tmp_path / name)


def _rewrite_core(path: Path, change) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            name, data = change(info.filename, src.read(info.filename))
            if name is not None:
                dst.writestr(name, data)
    path.write_bytes(out.getvalue())
    return path


def _with_modified(text: bytes):
    import re

    def change(name: str, data: bytes):
        if name == "docProps/core.xml":
            data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                          rb"\g<1>" + text + rb"\g<2>", data)
        return name, data
    return change


def test_saved_time_is_the_core_properties_modified_time_in_utc(tmp_path):
    path = _rewrite_core(_workbook(tmp_path), _with_modified(b"2025-03-09T08:30:15Z"))
    expected = calendar.timegm(dt.datetime(2025, 3, 9, 8, 30, 15).timetuple())
    assert _saved_time(path, Limits()) == float(expected)
    # fractions of a second and no Z: the same second
    path = _rewrite_core(path, _with_modified(b" 2025-03-09T08:30:15.250 "))
    assert _saved_time(path, Limits()) == float(expected)


def test_saved_time_finds_the_core_part_whatever_its_case(tmp_path):
    def rename(name: str, data: bytes):
        return ("DocProps/Core.XML" if name == "docProps/core.xml" else name), data
    path = _rewrite_core(_rewrite_core(_workbook(tmp_path), _with_modified(b"2024-12-31T23:59:59Z")),
                         rename)
    assert _saved_time(path, Limits()) == float(calendar.timegm((2024, 12, 31, 23, 59, 59, 0, 0, 0)))


def test_saved_time_read_from_a_stored_part(tmp_path):
    path = _rewrite_core(_workbook(tmp_path), _with_modified(b"2023-01-02T03:04:05Z"))
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    path.write_bytes(out.getvalue())
    assert _saved_time(path, Limits()) == float(calendar.timegm((2023, 1, 2, 3, 4, 5, 0, 0, 0)))


@pytest.mark.parametrize("modified", [b"", b"yesterday", b"2025-13-40T99:00:00Z", b"2025-03-09"])
def test_saved_time_none_when_the_time_is_not_a_time(tmp_path, modified):
    path = _rewrite_core(_workbook(tmp_path), _with_modified(modified))
    assert _saved_time(path, Limits()) is None


def test_saved_time_none_without_core_properties_or_zip(tmp_path):
    path = _rewrite_core(_workbook(tmp_path),
                         lambda name, data: (None if name == "docProps/core.xml" else name, data))
    assert _saved_time(path, Limits()) is None
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not a zip at all")
    assert _saved_time(junk, Limits()) is None
    assert _saved_time(tmp_path / "absent.xlsx", Limits()) is None


@pytest.mark.parametrize(("beyond", "found"), [(0, True), (1, False)])
def test_saved_time_is_read_within_exactly_64_kb(tmp_path, beyond, found):
    """The modified time ending on the 65,536th inflated byte is read; one byte later it is not."""
    def padded(name: str, data: bytes):
        if name == "docProps/core.xml":
            start = data.index(b"<dcterms:modified")
            end = data.index(b"</dcterms:modified>") + len(b"</dcterms:modified>")
            pad = 64 * 1024 + beyond - end - len(b"<!---->")
            data = data[:start] + b"<!--" + b"x" * pad + b"-->" + data[start:]
        return name, data
    path = _rewrite_core(_rewrite_core(_workbook(tmp_path), _with_modified(b"2025-03-09T08:30:15Z")),
                         padded)
    want = dt.datetime(2025, 3, 9, 8, 30, 15, tzinfo=dt.UTC).timestamp()
    assert _saved_time(path, Limits()) == (want if found else None)


def test_saved_time_reads_only_the_head_of_a_huge_core_part(tmp_path):
    def huge(name: str, data: bytes):
        if name == "docProps/core.xml":
            # the modified time after 70 KB of padding: not within the 64 KB read
            data = data.replace(b"<dcterms:modified", b"<!--" + b"x" * 70_000 + b"--><dcterms:modified")
        return name, data
    path = _rewrite_core(_rewrite_core(_workbook(tmp_path), _with_modified(b"2025-03-09T08:30:15Z")),
                         huge)
    assert _saved_time(path, Limits()) is None
