"""Marked long texts: how much of a typed text a printed page holds (tests and tools/measure_rows.py).

A text of full-width characters is made of 8-character blocks, each starting with two characters
that number it; the blocks found on the page (pdftotext, whitespace removed) say how far the text
got. A cell shows and prints whole lines only, and LibreOffice's PDF holds only what the cell shows
(checked: a 2,000-character text in a 150 pt row gave 760 characters on the page).
"""

from __future__ import annotations

from xltargets.generate import build_template
from xltargets.layout.model import Place
from xltargets.spec import load_spec
from xltargets.spec.model import Kind

#: 60 distinct full-width characters: two of them number a block (3,600 blocks)
ALPHABET = ("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水火土日月星天地人山川风云雨雪春夏秋冬"
            "东南西北上下左右前后中外大小多少高低长短")
FILLER = "测试文字内容"
BLOCK = 2 + len(FILLER)


def marked_text(n: int) -> str:
    """``n`` full-width characters in numbered 8-character blocks."""
    blocks = [ALPHABET[(i // len(ALPHABET)) % len(ALPHABET)] + ALPHABET[i % len(ALPHABET)] + FILLER
              for i in range((n + BLOCK - 1) // BLOCK)]
    return "".join(blocks)[:n]


def shown(text: str, page_text: str) -> int:
    """How many characters of ``text``, from its start, are on the page."""
    flat = "".join(page_text.split())
    got = 0
    for start in range(0, len(text), BLOCK):
        piece = text[start:start + BLOCK]
        if piece not in flat:
            break
        got = start + len(piece)
    return got


def long_text_cells(spec_id: str) -> list[tuple[str, str, int, str]]:
    """(sheet, field, max_length, A1) of each long text of a one-project template: every
    ``long_text`` field, and the first and last row of every ``text_list``."""
    layout = build_template(load_spec(spec_id), 2025, projects=1).layout
    out = []
    for sheet in layout.sheets:
        by_field: dict[str, list] = {}
        for inp in sheet.inputs:
            if inp.kind in (Kind.long_text, Kind.text_list) and \
                    inp.place in (Place.field, Place.list_item):
                by_field.setdefault(inp.field, []).append(inp)
        for field, cells in by_field.items():
            for inp in dict.fromkeys([cells[0], cells[-1]]):
                assert inp.max_length, (spec_id, field)  # every long text has a stated limit
                out.append((sheet.name, field, inp.max_length, inp.box.ref))
    return out
