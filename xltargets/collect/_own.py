"""Reading a returned file from bytes that collect owns.

A department's file may change while collect reads it (a mail client still saving it, a
colleague replacing it on a shared drive). The reader opens a file several times (the zip
checks, the cell reader, the hash): each could see other bytes. So a worker first reads the
file through ONE open file descriptor into memory of its own (``Owned.data``; a return is tens
of kilobytes, at most the reader's ``max_file_bytes``), and everything (reading, checking, the
SHA-256, the saved time) is done on those bytes. Whatever happens to the original, the row's
``sha256`` and ``size`` name exactly the bytes that were read:

* replaced (a new file renamed over it) during the copy: the descriptor still reads the old file,
  whole; the row is the old file's;
* truncated or rewritten in place during the copy: the copy holds the bytes that were there
  when they were read (a truncated zip is ``corrupt_zip``), and the hash is of those bytes.

(The bytes were once copied into a file of a private folder instead: writing, reading and
removing that file cost a worker about a tenth of a return's reading.)

The file is opened with ``O_NONBLOCK`` (a pipe never blocks the worker) and, for a path the scan
saw as a plain file, ``O_NOFOLLOW`` (a file swapped for a symbolic link after the scan is not
followed). A file larger than the reader's ``max_file_bytes`` is not read at all (the reader is
given an empty sparse file of its size in the scratch folder, which it refuses as too large);
one that grows past the limit while it is read is read only that far plus one byte.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: bytes read at a time
CHUNK = 1 << 20
#: test-only: called after each chunk with the number of bytes copied so far (the tests replace
#: or truncate the original there, to show the row stays consistent with the bytes read)
after_chunk: Callable[[int], None] | None = None


@dataclass(frozen=True)
class Owned:
    """The bytes read (``data``; ``path`` names the file to the reader), or why there are none
    (``problem``, a reason code). A file too large to be read has no ``data``: ``path`` is then
    an empty file of its size, which the reader refuses as too large."""

    path: str | None
    size: int | None = None
    mtime: float | None = None
    #: the bytes are the whole file (not cut at the size limit)
    whole: bool = True
    #: SHA-256 of those bytes ("" when not ``whole``)
    sha256: str = ""
    problem: str = ""
    why: str = ""
    data: bytes | None = None


def _problem(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "path_too_long"
    if exc.errno == errno.ELOOP:
        return "link_outside"
    if exc.errno == errno.ENOENT:
        return "broken_link"
    return "file_unreadable"


@contextlib.contextmanager
def private_copy(source: str, scratch: str, limit: int, *, follow: bool = True
                 ) -> Iterator[Owned]:
    """The bytes of ``source`` (at most ``limit`` + 1 bytes), read through one descriptor.

    OSErrors of the *source* become an :class:`Owned` with a ``problem``; OSErrors of the
    scratch folder (a full disk) propagate: they are the machine's, not the file's."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | \
        getattr(os, "O_BINARY", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(source, flags)
    except OSError as exc:
        yield Owned(None, problem=_problem(exc), why=exc.strerror or "")
        return
    folder = copy_path = None
    try:
        try:
            info = os.fstat(fd)
        except OSError as exc:
            yield Owned(None, problem="file_unreadable", why=exc.strerror or "")
            return
        if not stat.S_ISREG(info.st_mode):
            yield Owned(None, mtime=info.st_mtime, problem="not_a_file")
            return
        if info.st_size > limit:
            # too large to be read: an empty (sparse) file of its size is all the reader needs
            # to refuse it, and none of its bytes are read
            if scratch:
                # the run's private folder: one folder of this process's own, made once; a
                # worker reads one file at a time
                own = _folder(scratch)
                target = os.path.join(own, os.path.basename(source))
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)  # one left by a read that failed to clean up
                copy_path = target
            else:
                folder = tempfile.mkdtemp(prefix="own-", dir=None)
                target = os.path.join(folder, os.path.basename(source))
            with open(target, "xb") as out:
                out.truncate(info.st_size)
            yield Owned(target, size=info.st_size, mtime=info.st_mtime, whole=False)
            return
        copied, whole = 0, True
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(fd, min(CHUNK, limit + 1 - copied))
            except OSError as exc:  # an I/O error of the source (a disk being pulled)
                yield Owned(None, mtime=info.st_mtime, problem="file_unreadable",
                            why=exc.strerror or "")
                return
            if not chunk:
                break
            chunks.append(chunk)
            copied += len(chunk)
            if after_chunk is not None:
                after_chunk(copied)
            if copied > limit:
                whole = False
                break
        data = b"".join(chunks)
        del chunks
        yield Owned(source, size=copied if whole else info.st_size, mtime=info.st_mtime,
                    whole=whole, sha256=hashlib.sha256(data).hexdigest() if whole else "",
                    data=data)
    finally:
        os.close(fd)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        elif copy_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(copy_path)


#: (scratch folder, process id) -> this process's own folder in it
_folders: dict[tuple[str, int], str] = {}


def _folder(scratch: str) -> str:
    """This process's folder for private copies under ``scratch`` (made on first use; a worker
    forked later is another process and gets its own)."""
    key = (scratch, os.getpid())
    folder = _folders.get(key)
    if folder is None or not os.path.isdir(folder):
        folder = _folders[key] = tempfile.mkdtemp(prefix="own-", dir=scratch)
    return folder


__all__ = ["CHUNK", "Owned", "private_copy"]
