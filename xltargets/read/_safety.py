"""Opening returned files safely.

Every returned file passes through here before anything parses it. The checks run from the
cheapest to the dearest, and each refusal is a :class:`~xltargets.errors.WorkbookError` with a
stable English ``code`` and a Chinese message from :data:`MESSAGES`:

1. ``stat``: the path exists, is a regular file, is not empty and not larger than the limit.
2. ``sniff``: the first 8 KiB say what the file really is (never the extension). Only a zip goes on;
   an OLE2 file is inspected to tell an encrypted .xlsx from an old .xls or a Word .doc.
3. The zip's end record is read by hand (a central directory of a million entries is refused before
   :mod:`zipfile` builds a million objects), then :mod:`zipfile` parses the central directory, and
   every member's declared sizes, ratio, flags and position are checked: too big, too compressed,
   encrypted, overlapping (the "better zip bomb"), duplicated (two readers could pick different
   copies), or with sizes that no deflate stream could produce.
4. The main part is found through ``_rels/.rels`` (falling back to ``xl/workbook.xml``) and other
   Office and archive formats are named.

Parts are decompressed only on demand, by our own bounded inflater: declared sizes can lie, so the
output is counted while it is produced and reading stops as soon as it passes the declared size, the
per-member or total limit, or the compression-ratio limit. XML is parsed with defusedxml or a streaming
expat parser (no DTD, no entities, no external references). A part handed to a third-party reader
(python-calamine, for rosters) gets a cheap prolog check instead, plus a proof that it cannot inflate
past the limits.

This module is the facade; the work is split along those steps: :mod:`._limits` (limits, codes and
messages), :mod:`._sniff` (1 and 2, OLE2 included), :mod:`._zip` (3 and 4, the bounded inflater)
and :mod:`._xml` (prologs and parsing).
"""

from __future__ import annotations

from ._limits import DEFAULT_LIMITS, MESSAGES, Limits, workbook_error
from ._sniff import _KIND_CODES, _MAGIC, SNIFF_BYTES, inspect_ole2, sniff
from ._xml import PROLOG_WINDOW, check_xml_prolog, parse_xml
from ._zip import (
    DEFLATE_MAX_RATIO,
    RATIO_FLOOR,
    Package,
    check_parts_for_calamine,
    open_package,
    resolve_target,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DEFLATE_MAX_RATIO",
    "MESSAGES",
    "PROLOG_WINDOW",
    "RATIO_FLOOR",
    "SNIFF_BYTES",
    "Limits",
    "Package",
    "check_parts_for_calamine",
    "check_xml_prolog",
    "inspect_ole2",
    "open_package",
    "parse_xml",
    "resolve_target",
    "sniff",
    "workbook_error",
]

#: the modules behind this facade (tests read their source to list the codes they raise)
MODULES = ("_limits", "_sniff", "_xml", "_zip")
_PRIVATE_FOR_TESTS = (_KIND_CODES, _MAGIC)
