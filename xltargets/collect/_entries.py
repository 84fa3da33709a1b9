"""The parent's record of every input file, bounded in memory.

A province sends 20,000 files; the parent keeps one :class:`~._model.Entry` per file (path,
status, unit, hashes, counts: about a kilobyte with its strings) for the duplicates, the missing
list, results and the report. Up to :data:`SPILL_AT` files they are plain objects in a list;
past it every entry lives pickled in an SQLite table in the run's private folder and is made
again when it is used, so the parent's memory does not grow with the inbox (the table's pages
are the file system's cache, not the process's).

An entry read from the table is a fresh object: whoever changes one must :meth:`EntryStore.put`
it back (with the list the call changes nothing). Iteration goes in index order (input order),
a few hundred rows at a time, so an entry may be put while the store is being iterated.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from ._model import Entry

#: entries kept as objects; a larger batch keeps them in the side table
SPILL_AT = 5_000
#: rows fetched at a time while iterating the table
FETCH = 500


class EntryStore:
    """Every input file's :class:`Entry` by index (its position in input order)."""

    def __init__(self, entries: Iterable[Entry], folder: Path, spill_at: int | None = None,
                 *, count: int | None = None) -> None:
        """``entries`` in index order; ``count``: how many (when ``entries`` is an iterator,
        consumed here once)."""
        if count is None:
            entries = list(entries)
            count = len(entries)
        self._n = count
        limit = SPILL_AT if spill_at is None else spill_at
        self._list: list[Entry] | None = None
        self._db: sqlite3.Connection | None = None
        if self._n <= limit:
            self._list = list(entries)
            assert len(self._list) == self._n
            return
        # a scratch table: no journal, no syncing (the run's folder is removed with it)
        self._db = sqlite3.connect(folder / "entries.sqlite", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE entries (idx INTEGER PRIMARY KEY, blob BLOB NOT NULL)")
        self._db.execute("BEGIN")
        stored = self._db.executemany("INSERT INTO entries VALUES (?, ?)",
                                      ((e.index, _dumps(e)) for e in entries)).rowcount
        self._db.execute("COMMIT")
        assert stored == self._n, (stored, self._n)

    @property
    def spilled(self) -> bool:
        return self._db is not None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: int) -> Entry:
        if self._list is not None:
            return self._list[index]
        assert self._db is not None
        row = self._db.execute("SELECT blob FROM entries WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise IndexError(index)
        return _loads(row[0])

    def put(self, entry: Entry) -> None:
        """Store a changed entry (nothing to do while entries are plain objects)."""
        if self._db is not None:
            self._db.execute("UPDATE entries SET blob = ? WHERE idx = ?",
                             (_dumps(entry), entry.index))

    def __iter__(self) -> Iterator[Entry]:
        if self._list is not None:
            yield from self._list
            return
        assert self._db is not None
        start = 0
        while True:
            rows = self._db.execute(
                "SELECT idx, blob FROM entries WHERE idx >= ? ORDER BY idx LIMIT ?",
                (start, FETCH)).fetchall()
            if not rows:
                return
            start = rows[-1][0] + 1
            for _, blob in rows:
                yield _loads(blob)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _dumps(entry: Entry) -> bytes:
    return pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(blob: bytes) -> Entry:
    entry = pickle.loads(blob)  # written by this process, in its private folder
    assert isinstance(entry, Entry)
    return entry


__all__ = ["SPILL_AT", "EntryStore"]
