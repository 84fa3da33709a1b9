"""Validated specs kept between runs, so that a command that reads one return does not parse and
validate the spec's YAML again (about 60 ms, more than the reading itself).

The cache holds the pickled :class:`~xltargets.spec.model.Spec` and its content hash, in a file
named by the SHA-256 of the YAML text together with the code that validates it (the source of the
spec model, the loader, the rules and the cell rules) and the Python and pydantic versions: any
change to the YAML or to that code names another file, so a stale spec is never used. Only
specs that passed validation are written; a spec with mistakes is parsed (and reported) every time.

Where: ``$XLTARGETS_CACHE_DIR``, else ``$XDG_CACHE_HOME/xltargets``, else ``~/.cache/xltargets``
(``XLTARGETS_CACHE_DIR=off`` turns the cache off). A pickle runs code when loaded, so a file is
loaded only from a folder owned by the current user that nobody else can write to, and only if
the user owns it. Every failure of the cache (no home, a read-only disk, a damaged file) is
silent: the spec is then parsed as without a cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

#: bump to drop every older cache file
_FORMAT = b"xltargets-spec-cache/1"
#: modules whose code makes a Spec: a change to any of them is a new cache key
_CODE_MODULES = ("xltargets.spec.model", "xltargets.spec.load", "xltargets.rules",
                 "xltargets.cellrules", "xltargets.findings")
_code_digest: bytes | None = None


def cache_dir() -> Path | None:
    setting = os.environ.get("XLTARGETS_CACHE_DIR")
    if setting is not None:
        return None if setting.strip().lower() in ("", "off", "0", "no") else Path(setting)
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "xltargets"
    home = os.environ.get("HOME")
    return Path(home) / ".cache" / "xltargets" if home else None


def code_digest(fmt: bytes, modules: tuple[str, ...], *extra: str) -> bytes:
    """SHA-256 of a cache format, the Python version, ``extra`` versions and the source of
    ``modules`` (the code that makes what is cached): a change to any names other files.

    Raises OSError when a module has no source file (imported from a zip, or not at all)."""
    digest = hashlib.sha256(fmt)
    digest.update(sys.version.encode())
    for version in extra:
        digest.update(version.encode())
    for name in modules:
        module = sys.modules.get(name)
        source = getattr(module, "__file__", None)
        if source is None:  # imported from a zip or not at all: never trust a cache
            raise OSError(f"no source for {name}")
        digest.update(Path(source).read_bytes())
    return digest.digest()


def _code() -> bytes:
    global _code_digest
    if _code_digest is None:
        import pydantic

        _code_digest = code_digest(_FORMAT, _CODE_MODULES, pydantic.VERSION)
    return _code_digest


def _file(text: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(_code() + text.encode("utf-8")).hexdigest()
    return folder / f"spec-{key[:40]}.pickle"


def _private(path: Path) -> bool:
    """Owned by this user and writable by nobody else (a pickle runs code when loaded)."""
    if not hasattr(os, "getuid"):
        return True  # Windows: the user's profile folder is private
    st = path.stat()
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def read_private(path: Path | None) -> bytes | None:
    """The bytes of a cache file, only if it and its folder are private; else None."""
    if path is None or not path.is_file():
        return None
    if not (_private(path.parent) and _private(path)):
        return None
    return path.read_bytes()


def write_private(path: Path | None, data: bytes) -> None:
    """Write a cache file atomically into a private folder (made if missing); raises OSError."""
    if path is None:
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _private(path.parent):
        return
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(temp, path)  # atomic: a reader sees the old file, the new one or none
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load(text: str) -> tuple[Any, str] | None:
    """The cached (spec, hash) for this YAML text, or None."""
    try:
        data = read_private(_file(text))
        if data is None:
            return None
        spec, spec_hash = pickle.loads(data)
        return spec, spec_hash
    except Exception:  # noqa: BLE001 - a damaged or foreign cache file is only a miss
        return None


def store(text: str, spec: Any, spec_hash: str) -> None:
    try:
        write_private(_file(text), pickle.dumps((spec, spec_hash), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - a cache that cannot be written is only slower
        return
