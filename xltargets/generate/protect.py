"""Workbook structure protection, the one part XlsxWriter cannot write.

``<workbookProtection lockStructure="1"/>`` stops people adding, deleting or renaming sheets in
Excel and WPS. It goes into xl/workbook.xml right before ``<bookViews>``, the position the
schema (CT_Workbook) requires. The zip is rewritten entry by entry with the original entry
metadata, so the output stays deterministic.
"""

from __future__ import annotations

import io
import zipfile

from ..errors import TemplateError


def password_hash(password: str) -> str:
    """The legacy 16-bit hash Excel uses for sheet and workbook passwords (ECMA-376 Part 4)."""
    digest = 0
    for char in password[::-1]:
        digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
        digest ^= ord(char)
    digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
    digest ^= len(password)
    digest ^= 0xCE4B
    return f"{digest:X}"


def lock_structure(xlsx: bytes, password: str | None = None) -> bytes:
    attrs = 'lockStructure="1"'
    if password:
        attrs = f'workbookPassword="{password_hash(password)}" ' + attrs
    element = f"<workbookProtection {attrs}/>".encode()
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                if b"<bookViews>" not in data:
                    raise TemplateError("xl/workbook.xml has no <bookViews>: cannot lock structure")
                data = data.replace(b"<bookViews>", element + b"<bookViews>", 1)
                # the long validation formulas (xltargets.layout.plan) are plumbing, not names
                # for people: hidden from Excel's name manager (XlsxWriter cannot say hidden)
                data = data.replace(b'<definedName name="_xlt_', b'<definedName hidden="1" name="_xlt_')
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
