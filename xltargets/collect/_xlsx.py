"""A small streaming .xlsx writer for plain tables (the 汇总表), fast at province scale.

Why not XlsxWriter here: the 汇总表 of 20,000 returns has some 8 million cells, and XlsxWriter
spends about 10 µs on each (a cell object, its checks, its XML) — over a minute in the parent
process, the longest step of a collect. These tables need very little of what XlsxWriter offers:
text and number cells, a bold header row, column widths, a frozen header, a filter, A4 landscape
printing with the header on every page. This module writes exactly that, one row at a time to a
temporary file per sheet, as the same XML XlsxWriter writes (inline strings, the same escapes),
and zips the parts at the end.

No text ever becomes a formula: there is no formula cell type at all; text is an inline string.
The bytes depend only on the rows (fixed document time, fixed zip times), so the same batch gives
the same file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from pathlib import Path
from typing import IO, Any

from xlsxwriter.utility import quote_sheetname, xl_col_to_name

EXCEL_MAX_TEXT = 32_767
#: cellXfs: 0 default, 1 header (bold, grey, border, wrap, vcenter), 2 text (top), then numbers
HEADER, TEXT = 1, 2
#: number format -> cell style id. Percentages are stored as the numbers typed (25 for 25 %):
#: the format shows them with a per-cent sign and no stray decimal point (``0.##`` showed "25.")
NUMBER_STYLES = {"General": 3, "#,##0.00": 4, '0"%"': 5, "0": 6, '0.00"%"': 7}
_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: anything that needs more than the three replacements (XlsxWriter's rules: control characters
#: become _xHHHH_, a literal _xHHHH_ gets its underscore escaped, U+FFFE/U+FFFF are escaped)
_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPE_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
_COLUMNS = [xl_col_to_name(c) for c in range(16_384)]

STYLES = (
    _DECL + '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="#,##0.00"/>'
    '<numFmt numFmtId="165" formatCode="0&quot;%&quot;"/>'
    '<numFmt numFmtId="166" formatCode="0.00&quot;%&quot;"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid">'
    '<fgColor rgb="FFF2F2F2"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border>'
    '<left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom>'
    '<diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
    'applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles><dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
    'defaultPivotStyle="PivotStyleLight16"/></styleSheet>')


#: anything :func:`_escape` changes (most texts have none: one search, then nothing to do)
_ANY_ESCAPE = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


def _escape(text: str) -> str:
    if _ANY_ESCAPE.search(text) is None:
        return text
    if _SPECIAL.search(text):
        text = _ESCAPE_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\n", "&#xA;"))


def _style_attr(style: int | None) -> str:
    return f' s="{style}"' if style else ""


#: the style attribute of each style id used here
_STYLE_ATTRS = {style: _style_attr(style) for style in (None, 0, *range(1, 16))}


def string_cell(ref: str, text: str, style: int | None) -> str:
    """An inline-string cell, as XlsxWriter writes it (``xml:space`` for outer whitespace)."""
    if len(text) > EXCEL_MAX_TEXT:
        text = text[:EXCEL_MAX_TEXT]
    space = ' xml:space="preserve"' if text and (text[0].isspace() or text[-1].isspace()) else ""
    s = _STYLE_ATTRS.get(style)
    if s is None:
        s = _style_attr(style)
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def number_cell(ref: str, number: float, style: int | None) -> str | None:
    """A number cell, or None when the number is not finite (no cell can hold it)."""
    if not math.isfinite(number):
        return None
    s = _STYLE_ATTRS.get(style)
    if s is None:
        s = _style_attr(style)
    return f'<c r="{ref}"{s}><v>{number:.16G}</v></c>'


#: stands for the row number in a row rendered before its place is known (:func:`render_row`);
#: no text can hold it (control characters are escaped as ``_x0000_``)
ROW = "\x00"
ROW_END = "</row>"


def render_row(cells: list[tuple[Any, int | None]], start: int = 0) -> tuple[str, int]:
    """One row's XML without its closing tag, with :data:`ROW` for the row number, and the
    highest column it fills (-1: none). A value None or "" leaves the cell empty; values are
    ``str`` (an inline string) or ``float`` (a number); anything else is written as its ``str``.
    ``start``: the column of the first cell (the rest of a row rendered in two pieces).

    Rendered where the row is made (a collect worker), placed by :meth:`Sheet.append_xml`."""
    parts = [_ROW_OPEN] if start == 0 else []
    append = parts.append
    refs = _REFS
    max_col = -1
    for c, (value, style) in enumerate(cells, start=start):
        if value is None or value == "":
            continue
        ref = refs[c] if c < _REF_COUNT else _COLUMNS[c] + ROW
        if isinstance(value, str):
            append(string_cell(ref, value, style))
        elif isinstance(value, float):
            cell = number_cell(ref, value, style)
            if cell is None:
                cell = string_cell(ref, str(value), style)
            append(cell)
        else:
            append(string_cell(ref, str(value), style))
        max_col = c
    return "".join(parts), max_col


_ROW_OPEN = f'<row r="{ROW}">'
#: the cell references of the first columns, row number to be set
_REF_COUNT = 256
_REFS = [_COLUMNS[c] + ROW for c in range(_REF_COUNT)]


def _col_width(width: float) -> float:
    """XlsxWriter's character width → the stored width (with the cell padding)."""
    if width < 1:
        return round(width * 12) / 12  # not used here; widths are ≥ 1
    return int((int(width * 7 + 0.5) + 5) / 7 * 256.0) / 256.0


class Sheet:
    """One worksheet; rows are appended in order (1-based row numbers from 2, after the header)."""

    def __init__(self, name: str, header: list[str], widths: list[float], path: Path) -> None:
        self.name, self.header, self.widths = name, header, widths
        self.path = path
        self._fh: IO[str] = path.open("w", encoding="utf-8", newline="", buffering=1 << 20)
        self.rows = 0
        self.max_col = len(header) - 1
        self.append([(text, HEADER) for text in header])

    def append(self, cells: list[tuple[Any, int | None]]) -> None:
        """``cells``: (value, style) per column; see :func:`render_row`."""
        xml, max_col = render_row(cells)
        self.append_xml(xml + ROW_END, max_col)

    def append_xml(self, xml: str, max_col: int) -> None:
        """A row rendered by :func:`render_row` (closed by the caller): its row number is set."""
        self.rows += 1
        self._fh.write(xml.replace(ROW, str(self.rows)))
        if max_col > self.max_col:
            self.max_col = max_col

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    @property
    def ref(self) -> str:
        return f"A1:{_COLUMNS[self.max_col]}{self.rows}"

    def head(self, selected: bool) -> str:
        cols = "".join(
            f'<col min="{c + 1}" max="{c + 1}" width="{_col_width(w)}" customWidth="1"/>'
            for c, w in enumerate(self.widths))
        tab = ' tabSelected="1"' if selected else ""
        return (f"{_DECL}<worksheet {_NS}><sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr>"
                f'<dimension ref="{self.ref}"/><sheetViews><sheetView{tab} workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>')

    def tail(self) -> str:
        return (f'</sheetData><autoFilter ref="{self.ref}"/><pageMargins left="0.7" right="0.7" '
                'top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                '<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/></worksheet>')


def _fastest(info: zipfile.ZipInfo) -> None:
    """Deflate this part at the fastest level. A province's 汇总表 sheets are ~500 MB of XML,
    compressed by the parent alone once the workers are done: level 6 (zlib's default) took
    3.3x the CPU of level 1 for 14 % fewer bytes (50 MB of rows: 324 ms / 3.39 MB against
    99 ms / 3.92 MB). A ZipInfo given to ``ZipFile.open`` keeps its own level, not the
    ZipFile's: ``compress_level`` from Python 3.13, ``_compresslevel`` before."""
    if hasattr(type(info), "compress_level"):
        info.compress_level = 1  # type: ignore[attr-defined]
    else:
        info._compresslevel = 1  # type: ignore[attr-defined]


class TableWorkbook:
    """Sheets of tables, written to ``fh`` (a binary file) by :meth:`close`."""

    def __init__(self, fh: IO[bytes], tmpdir: Path, *, title: str, author: str,
                 created: dt.datetime) -> None:
        self.fh, self.tmpdir = fh, tmpdir
        self.title, self.author, self.created = title, author, created
        self.sheets: list[Sheet] = []

    def add_sheet(self, name: str, header: list[str], widths: list[float]) -> Sheet:
        sheet = Sheet(name, header, widths, self.tmpdir / f"summary-sheet{len(self.sheets) + 1}.xml")
        self.sheets.append(sheet)
        return sheet

    def abort(self) -> None:
        for sheet in self.sheets:
            sheet.close()
            sheet.path.unlink(missing_ok=True)

    def close(self) -> None:
        for sheet in self.sheets:
            sheet.close()
        with zipfile.ZipFile(self.fh, "w", compression=zipfile.ZIP_DEFLATED) as z:
            def part(name: str, text: str) -> None:
                info = zipfile.ZipInfo(name, _ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, text.encode("utf-8"))

            part("[Content_Types].xml", self._content_types())
            part("_rels/.rels", _ROOT_RELS)
            part("docProps/app.xml", self._app())
            part("docProps/core.xml", self._core())
            part("xl/workbook.xml", self._workbook())
            part("xl/_rels/workbook.xml.rels", self._workbook_rels())
            part("xl/styles.xml", STYLES)
            for i, sheet in enumerate(self.sheets, start=1):
                head = sheet.head(i == 1).encode("utf-8")
                tail = sheet.tail().encode("utf-8")
                info = zipfile.ZipInfo(f"xl/worksheets/sheet{i}.xml", _ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                _fastest(info)
                # the size known in advance: a Zip64 header only when the part needs one
                info.file_size = len(head) + sheet.path.stat().st_size + len(tail)
                with z.open(info, "w") as out, sheet.path.open("rb") as rows:
                    out.write(head)
                    while chunk := rows.read(1 << 20):
                        out.write(chunk)
                    out.write(tail)
                sheet.path.unlink(missing_ok=True)

    # -- the package parts ---------------------------------------------------------------------

    def _content_types(self) -> str:
        ws = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ws}"/>'
                         for i in range(1, len(self.sheets) + 1))
        return (
            f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.extended-properties+xml"/><Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            f'main+xml"/>{sheets}</Types>')

    def _app(self) -> str:
        names = "".join(f"<vt:lpstr>{_attr(s.name)}</vt:lpstr>" for s in self.sheets)
        n = len(self.sheets)
        return (
            f'{_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
            'docPropsVTypes"><Application>Microsoft Excel</Application><DocSecurity>0'
            '</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs><vt:vector size="2" '
            'baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>'
            f'<vt:variant><vt:i4>{n}</vt:i4></vt:variant></vt:vector></HeadingPairs>'
            f'<TitlesOfParts><vt:vector size="{n}" baseType="lpstr">{names}</vt:vector>'
            '</TitlesOfParts><Company></Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>'
            'false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000'
            '</AppVersion></Properties>')

    def _core(self) -> str:
        when = self.created.strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f'{_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_attr(self.title)}</dc:title><dc:creator>{_attr(self.author)}</dc:creator>"
            f"<cp:lastModifiedBy>{_attr(self.author)}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
            "</cp:coreProperties>")

    def _workbook(self) -> str:
        sheets = "".join(f'<sheet name="{_attr(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, s in enumerate(self.sheets, start=1))
        names = []
        for i, s in enumerate(self.sheets):
            quoted = _attr(quote_sheetname(s.name))
            last = f"${_COLUMNS[s.max_col]}${s.rows}"
            names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" '
                         f'hidden="1">{quoted}!$A$1:{last}</definedName>')
        for i, s in enumerate(self.sheets):
            quoted = _attr(quote_sheetname(s.name))
            names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                         f"{quoted}!$1:$1</definedName>")
        return (
            f"{_DECL}<workbook {_NS}>"
            '<fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/>'
            '<workbookPr defaultThemeVersion="124226"/><bookViews><workbookView xWindow="240" '
            'yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews>'
            f"<sheets>{sheets}</sheets><definedNames>{''.join(names)}</definedNames>"
            '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')

    def _workbook_rels(self) -> str:
        base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        rels = [f'<Relationship Id="rId{i}" Type="{base}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(self.sheets) + 1)]
        rels.append(f'<Relationship Id="rId{len(self.sheets) + 1}" Type="{base}/styles" '
                    'Target="styles.xml"/>')
        return (f'{_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                f'relationships">{"".join(rels)}</Relationships>')


_ROOT_RELS = (
    f'{_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>")
