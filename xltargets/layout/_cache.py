"""Layouts kept between runs, so that `xltargets read FILE` does not plan the workbook again (the
planner renders the spec's Jinja2 texts: importing Jinja2 alone costs more than reading a return).

Next to the spec cache (:mod:`xltargets.spec._cache`, whose folder and safety rules it shares):
the pickled :class:`~xltargets.layout.model.Layout`, in a file named by the SHA-256 of the spec's
content hash and id, the project count, the capacity, and the code that plans (the layout
modules, the rules and cell rules its objects come from) with the Python version. Another spec,
capacity or planner is another file, so a stale layout is never used. A file is loaded only from
a folder owned by the current user that nobody else can write to (a pickle runs code when
loaded); every failure of the cache is silent: the layout is then planned as without it.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import pickle
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..spec._cache import cache_dir, code_digest, read_private, write_private

#: bump to drop every older cache file
_FORMAT = b"xltargets-layout-cache/1"
#: modules whose code makes a Layout: a change to any of them is a new cache key
_CODE_MODULES = ("xltargets.layout.plan", "xltargets.layout.model", "xltargets.layout.kinds",
                 "xltargets.layout.live", "xltargets.layout.capacity", "xltargets.rules",
                 "xltargets.cellrules", "xltargets.spec.model", "xltargets.spec.load",
                 "xltargets.findings")
_code_digest: bytes | None = None


def _code() -> bytes:
    global _code_digest
    if _code_digest is None:
        _code_digest = code_digest(_FORMAT, _CODE_MODULES)
    return _code_digest


def _dumps(obj: Any) -> bytes:
    """Pickled, the layout's read-only mappings (MappingProxyType, which pickle refuses) as the
    planner makes them (``frozen_map``)."""
    from .model import frozen_map

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()  # type: ignore[misc]
    pickler.dispatch_table[MappingProxyType] = lambda proxy: (frozen_map, (dict(proxy),))
    pickler.dump(obj)
    return buffer.getvalue()


def _file(key: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    name = hashlib.sha256(_code() + key.encode("utf-8")).hexdigest()
    return folder / f"layout-{name[:40]}.pickle"


def load(key: str) -> Any | None:
    """The cached layout of ``key`` (spec hash and id, project count, capacity), or None."""
    try:
        data = read_private(_file(key))
        if data is None:
            return None
        stored_key, layout = pickle.loads(data)
        return layout if stored_key == key else None
    except Exception:  # noqa: BLE001 - a damaged or foreign cache file is only a miss
        return None


def store(key: str, layout: Any) -> None:
    try:
        write_private(_file(key), _dumps((key, layout)))
    except Exception:  # noqa: BLE001 - a cache that cannot be written is only slower
        return
