"""Capacity: how many rows a workbook's repeatable blocks have.

A spec declares its blocks' rows (a free table's ``rows``, a skeleton table's
``rows_per_category``/``category_rows``, a ``text_list`` field's ``rows``). A template may be
generated with more (``generate --indicator-rows``/``--category-rows``/``--rows``, or a roster
column for one department): the planner takes the capacity as input, the generator records it in
the template's stamp and manifest, and the reader plans a returned workbook with the capacity its
stamp names, so it reads every row.

A capacity holds only what differs from the spec, in a canonical order: the default capacity is
empty, so a template generated without overrides is byte-identical to one generated before
capacity existed, and an old template (no capacity in its stamp) reads with the spec's rows.

Bounds: rows are clerks' rows, not a store; a stamp is read from a returned (possibly forged)
file, so :meth:`Capacity.parse` refuses anything above the bounds before a plan allocates it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import XltargetsError
from ..spec.model import Kind, Spec

#: rows of a free table (one per indicator); 15 in both built-in specs
MAX_TABLE_ROWS = 100
#: rows per category of a skeleton table (Hunan prints 9 categories: 9 × 20 = 180 rows)
MAX_CATEGORY_ROWS = 20
#: rows of a text_list (分项绩效目标, 工作保障措施)
MAX_LIST_ROWS = 50
#: the longest capacity text a stamp may hold (it is kept to 200 characters anyway)
MAX_TEXT = 200

#: what a block's number means, in the office's words (messages, --help)
KIND_ZH = {"table": "行数", "category": "每类行数", "list": "行数"}
_ITEM = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,63})=(\d{1,4})")


class CapacityError(XltargetsError):
    """A requested or stamped capacity the spec cannot have (the message is Chinese)."""

    code = "capacity_invalid"


@dataclass(frozen=True)
class Block:
    """One repeatable block of a spec, by id (a table id or a text_list field id).

    A table id used on two sheets (Hunan's department and project ``indicators``) is one block:
    one override applies to both."""

    id: str
    kind: str  # "table" (free table rows), "category" (skeleton rows per category), "list"
    label: str
    default: int
    minimum: int
    maximum: int


def blocks(spec: Spec) -> dict[str, Block]:
    """The spec's repeatable blocks by id, in the order the sheets declare them."""
    out: dict[str, Block] = {}
    for sheet in spec.sheets:
        for t in sheet.tables:
            if t.style == "free":
                block = Block(t.id, "table", t.label, t.rows, 1, max(MAX_TABLE_ROWS, t.rows))
            else:
                block = Block(t.id, "category", t.label, t.rows_per_category, 1,
                              max(MAX_CATEGORY_ROWS, t.rows_per_category))
            out.setdefault(t.id, block)
        for f in sheet.fields:
            if f.kind == Kind.text_list:
                rows = f.rows or 1
                out.setdefault(f.id, Block(f.id, "list", f.label, rows, max(1, f.min_items),
                                           max(MAX_LIST_ROWS, rows)))
    return out


@dataclass(frozen=True)
class Capacity:
    """Rows per block that differ from the spec: ``(block id, rows)`` sorted by id.

    For a ``category`` block the number is the rows of every category, and a category the spec
    gives more rows (``category_rows``) keeps its more."""

    rows: tuple[tuple[str, int], ...] = ()

    def get(self, block_id: str) -> int | None:
        for key, value in self.rows:
            if key == block_id:
                return value
        return None

    def text(self) -> str:
        """The canonical text written into the stamp: ``indicators=20,sub_goals=10`` ('' = spec)."""
        return ",".join(f"{key}={value}" for key, value in self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    @classmethod
    def of(cls, spec: Spec, requested: Mapping[str, int] | Iterable[tuple[str, int]]) -> Capacity:
        """A capacity for ``spec``: each id must name a block, each number be within its bounds.

        Raises :class:`CapacityError` (Chinese) otherwise. Values equal to the spec's are dropped,
        so asking for the spec's own rows gives the default capacity."""
        items = requested.items() if isinstance(requested, Mapping) else requested
        known = blocks(spec)
        out: dict[str, int] = {}
        for block_id, n in items:
            block = known.get(block_id)
            if block is None:
                names = "、".join(f"{b.id}（{b.label}）" for b in known.values()) or "无"
                raise CapacityError(f"表样“{spec.id}”没有可调整行数的“{block_id}”；可调整的有：{names}")
            if isinstance(n, bool) or not isinstance(n, int) or not block.minimum <= n <= block.maximum:
                raise CapacityError(
                    f"{block.label}的{KIND_ZH[block.kind]}应为 {block.minimum}–{block.maximum} 之间的整数，"
                    f"不能是 {n}")
            out[block_id] = n
        return cls(tuple(sorted((k, v) for k, v in out.items() if v != known[k].default)))

    @classmethod
    def parse(cls, text: str, spec: Spec) -> Capacity:
        """The capacity written in a stamp (``indicators=20,sub_goals=10``), checked and bounded.

        A stamp comes from a returned file: nothing here is trusted beyond the bounds."""
        text = (text or "").strip()
        if not text:
            return cls()
        if len(text) > MAX_TEXT:
            raise CapacityError("行数设置过长")
        items: list[tuple[str, int]] = []
        for part in text.split(","):
            match = _ITEM.fullmatch(part.strip())
            if match is None:
                raise CapacityError(f"行数设置“{part[:40]}”格式不正确")
            items.append((match.group(1), int(match.group(2))))
        if len({k for k, _ in items}) != len(items):
            raise CapacityError("行数设置中有重复的项")
        return cls.of(spec, items)


def requested(spec: Spec, *, indicator_rows: int | None = None, category_rows: int | None = None,
              rows: Iterable[str] = ()) -> dict[str, int]:
    """What ``generate`` was asked for, by block id (checked by :meth:`Capacity.of` after).

    ``indicator_rows``: the rows of the spec's indicator table (a free table);
    ``category_rows``: the rows per category of every skeleton table;
    ``rows``: ``ID=N`` items, ID a block's id or its label (``sub_goals=12``, ``分项绩效目标=12``).
    """
    known = blocks(spec)
    out: dict[str, int] = {}
    if indicator_rows is not None:
        out.update(dict.fromkeys(_shortcut(spec, known, "indicator_rows"), indicator_rows))
    if category_rows is not None:
        out.update(dict.fromkeys(_shortcut(spec, known, "category_rows"), category_rows))
    by_label = {bare_label(b.label): b.id for b in known.values()}
    for item in rows:
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not value.strip().isdigit() or len(value.strip()) > 6:
            raise CapacityError(f"行数设置“{str(item)[:60]}”应写作 表格或列表=行数，如 indicators=20")
        block_id = key if key in known else by_label.get(bare_label(key), key)
        out[block_id] = int(value)
    return out


def _shortcut(spec: Spec, known: dict[str, Block], option: str) -> list[str]:
    """The blocks an ``--indicator-rows`` / ``--category-rows`` option (or roster column) sets."""
    if option == "category_rows":
        ids = [b.id for b in known.values() if b.kind == "category"]
        if not ids:
            raise CapacityError(f"表样“{spec.id}”的指标表不按类别排列，没有“每类指标行数”；"
                                "请用 --indicator-rows 指定指标行数")
        return ids
    table = spec.roles.indicators.table if spec.roles.indicators is not None else None
    block = known.get(table or "")
    if block is None or block.kind != "table":
        if block is not None and block.kind == "category":
            raise CapacityError(f"表样“{spec.id}”的绩效指标按类别印好，没有“指标行数”；"
                                "请用 --category-rows 指定每类指标的行数")
        raise CapacityError(f"表样“{spec.id}”没有可调整行数的指标表")
    return [block.id]


def shortcuts(spec: Spec) -> dict[str, str]:
    """The roster columns (and generate options) this spec has: column id -> Chinese label."""
    known = blocks(spec)
    out = {}
    for option, label in (("indicator_rows", "指标行数"), ("category_rows", "每类指标行数")):
        try:
            _shortcut(spec, known, option)
        except CapacityError:
            continue
        out[option] = label
    return out


def bare_label(label: str) -> str:
    """A label without its numbering and spaces: ``二、分项绩效目标`` -> ``分项绩效目标``."""
    return re.sub(r"^[一二三四五六七八九十\d]+[、.．]\s*|\s+", "", label)


#: the spec's own rows (the empty capacity)
SPEC_ROWS = Capacity()


def rows_of(block: Block, capacity: Capacity) -> int:
    """The rows (or rows per category) of ``block`` under ``capacity``."""
    value = capacity.get(block.id)
    return block.default if value is None else value


__all__ = ["MAX_CATEGORY_ROWS", "MAX_LIST_ROWS", "MAX_TABLE_ROWS", "SPEC_ROWS", "Block", "Capacity",
           "CapacityError", "blocks", "bare_label", "requested", "rows_of", "shortcuts"]
