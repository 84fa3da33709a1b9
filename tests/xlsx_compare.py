"""Part-by-part comparison of two .xlsx files, as XlsxWriter's own test suite does.

Both files are unzipped; the lists of parts must match, then each XML part is canonicalized
(C14N 2.0) and compared element by element after removing known noise. A difference names the
part and the first element that differs, so a failing test says what changed.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree as ET

#: noise that may change without the template changing
IGNORE = [
    (re.compile(r'<property[^>]*name="xltargets.tool_version"[^>]*>.*?</property>'), ""),
]


def _canon(data: bytes) -> list[str]:
    text = ET.canonicalize(data.decode("utf-8"), strip_text=True)
    for pattern, repl in IGNORE:
        text = pattern.sub(repl, text)
    return re.findall(r"<[^>]+>|[^<]+", text)


def compare_xlsx(got: bytes, expected: bytes) -> list[str]:
    a = zipfile.ZipFile(io.BytesIO(got))
    b = zipfile.ZipFile(io.BytesIO(expected))
    diffs: list[str] = []
    names_a, names_b = sorted(a.namelist()), sorted(b.namelist())
    if names_a != names_b:
        diffs.append(f"parts differ: +{sorted(set(names_a) - set(names_b))} -{sorted(set(names_b) - set(names_a))}")
    for name in sorted(set(names_a) & set(names_b)):
        da, db = a.read(name), b.read(name)
        if da == db:
            continue
        if not (name.endswith(".xml") or name.endswith(".rels")):
            diffs.append(f"{name}: binary part differs")
            continue
        ta, tb = _canon(da), _canon(db)
        if ta == tb:
            continue
        for i, (x, y) in enumerate(zip(ta, tb, strict=False)):
            if x != y:
                diffs.append(f"{name}: token {i}: got {x[:160]!r}, expected {y[:160]!r}")
                break
        else:
            diffs.append(f"{name}: length {len(ta)} vs {len(tb)}")
    return diffs
