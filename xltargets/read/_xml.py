"""XML: the prolog check (no DTD, no entity, no odd encoding before the root) and parsing with
defusedxml or a streaming expat parser that refuses the same things."""

from __future__ import annotations

import codecs
import os
import re
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as SafeET

from xltargets.errors import WorkbookError

from ._limits import workbook_error

PROLOG_WINDOW = 64 * 1024
_PROLOG_FIRST = 4096

# --------------------------------------------------------------------------------------------
# XML
# --------------------------------------------------------------------------------------------

_XML_SPACE = " \t\r\n"
_ENCODING_DECL = re.compile(r"""encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")


@lru_cache(maxsize=64)
def _ascii_transparent(encoding: str) -> bool:
    """Whether ``encoding`` maps the bytes 0x01-0x7F to themselves, so that a scan of the raw bytes
    sees the same markup as the parser (false for UTF-7, EBCDIC, UTF-32, unknown codecs)."""
    try:
        codecs.lookup(encoding)
        sample = bytes(range(1, 128))
        return sample.decode(encoding) == sample.decode("ascii")
    except (LookupError, UnicodeError, ValueError):
        return False


def _prolog_text(window: bytes) -> tuple[str, bool]:
    """The prolog window as text with markup intact, and whether it was 8-bit encoded."""
    if window.startswith(b"\xef\xbb\xbf"):
        return window[3:].decode("latin-1"), True
    if window.startswith(b"\xff\xfe") and not window.startswith(b"\xff\xfe\x00\x00"):
        body, encoding = window[2:], "utf-16-le"
    elif window.startswith(b"\xfe\xff"):
        body, encoding = window[2:], "utf-16-be"
    elif window.startswith(b"<\x00") and not window.startswith(b"<\x00\x00\x00"):
        body, encoding = window, "utf-16-le"
    elif window.startswith(b"\x00<"):
        body, encoding = window, "utf-16-be"
    elif window[:1] in (b"\x00", b"\xff", b"\xfe") or window.startswith(b"+/v"):
        raise workbook_error("xml_malformed", detail="无法识别的 XML 编码（UTF-32/UTF-7 等）")
    else:
        return window.decode("latin-1"), True
    return body[: len(body) // 2 * 2].decode(encoding, "replace"), False


def _scan_prolog(data: bytes, *, complete: bool) -> bool:
    """True when the root element starts after a clean prolog; False when ``data`` (not
    ``complete``) ends before that. Raises ``xml_forbidden`` for a DTD, an entity declaration or any
    other ``<!`` declaration before the root, ``xml_malformed`` for anything else odd there."""
    text, eight_bit = _prolog_text(data)
    position, length = 0, len(text)
    while True:
        while position < length and text[position] in _XML_SPACE:
            position += 1
        if length - position < 4 and not complete:
            return False
        if position >= length:
            raise workbook_error("xml_malformed", detail="没有根元素")
        if text[position] != "<":
            raise workbook_error("xml_malformed", detail="根元素之前有多余内容")
        if text.startswith("<?", position):
            end = text.find("?>", position + 2)
            if end >= 0 and eight_bit and text.startswith("<?xml", position):
                match = _ENCODING_DECL.search(text, position, end)
                if match and not _ascii_transparent(match.group(1)):
                    raise workbook_error("xml_malformed",
                                         detail=f"不支持的 XML 编码 {match.group(1)}")
            closer = 2
        elif text.startswith("<!--", position):
            end, closer = text.find("-->", position + 4), 3
        elif text.startswith("<!", position):
            declaration = text[position:position + 40].split(None, 1)[0]
            raise workbook_error("xml_forbidden", detail=f"根元素之前出现 {declaration}")
        else:
            return True
        if end < 0:
            if complete:
                raise workbook_error("xml_malformed", detail="XML 声明或注释未结束")
            return False
        position = end + closer


def check_xml_prolog(data: bytes) -> None:
    """Refuse ``data`` if a DTD (``<!DOCTYPE``), an entity declaration or any other declaration
    comes before its root element (``xml_forbidden``), or if the prolog cannot be read
    (``xml_malformed``: no root, text before it, an encoding that hides markup such as UTF-7).

    Only the first :data:`PROLOG_WINDOW` bytes are looked at; the body is never scanned, so this
    costs microseconds however large the part. A DTD after the root is not well-formed XML."""
    _check_prolog(data)


def _check_prolog(data: bytes, path: str | os.PathLike[str] | None = None,
                  part: str | None = None) -> None:
    try:
        # the prolog is nearly always within the first few hundred bytes: look there first
        if len(data) <= _PROLOG_FIRST or not _scan_prolog(data[:_PROLOG_FIRST], complete=False):
            _scan_prolog(data[:PROLOG_WINDOW], complete=True)  # raises rather than ask for more
    except WorkbookError as error:
        raise _located(error, path, part) from None


def _prolog_found(head: bytes) -> bool:
    """Whether ``head`` (a part's beginning) is enough to judge its prolog."""
    try:
        return _scan_prolog(head, complete=False)
    except WorkbookError:
        return True  # enough to refuse it


def _located(error: WorkbookError, path: str | os.PathLike[str] | None,
             part: str | None) -> WorkbookError:
    detail = f"{part}: {error.detail}" if part and error.detail else (part or error.detail)
    return workbook_error(error.code, path=path if path is not None else error.path, detail=detail)


def parse_xml(data: bytes, *, path: str | os.PathLike[str] | None = None,
              part: str | None = None) -> Element:
    """Parse ``data`` with defusedxml: no DTD, no entities, no external references.

    Raises ``xml_forbidden`` or ``xml_malformed``; never another exception (except MemoryError)."""
    _check_prolog(data, path, part)
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except defusedxml.DefusedXmlException as error:
        raise workbook_error("xml_forbidden", path=path,
                             detail=f"{part}: {type(error).__name__}") from None
    except ParseError as error:
        raise workbook_error("xml_malformed", path=path, detail=f"{part}: {error}") from None
    except (MemoryError, RecursionError):
        raise
    except Exception as error:  # expat can raise ValueError, LookupError, UnicodeError…
        raise workbook_error("xml_malformed", path=path,
                             detail=f"{part}: {type(error).__name__}: {error}") from None




class XmlForbidden(Exception):
    """A DTD or an entity declaration met by :func:`expat_parser`."""


def _refuse(*_args: object) -> None:
    raise XmlForbidden


def expat_parser(data: bytes, start: Any, end: Any = None, text: Any = None) -> None:
    """Stream ``data`` through expat with the given handlers, DTDs and entities refused
    (:class:`XmlForbidden`). Building an ElementTree of every part read on every file costs more
    than the reading (measured in benchmarks/bench_read.py); handlers keep only what is needed."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    parser.Parse(data, True)
