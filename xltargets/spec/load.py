"""Loading specs: YAML in, a validated :class:`Spec` out, or a :class:`SpecError` naming the line.

Validation happens in two passes. Pydantic checks the shape (keys, types, enums); then
:func:`semantic_errors` checks what a schema cannot: references between parts, grid geometry
and Excel's own limits. Both report a location path (``sheets[1].fields[3].kind``) that is
mapped back to the YAML line it came from.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..cellrules import pattern_problem
from ..errors import SpecError, os_error_zh
from . import _cache
from .model import Kind, Spec

if TYPE_CHECKING:
    import yaml

# PyYAML and Jinja2 are imported when a spec is parsed, not when a cached one is used
# (spec._cache): reading a return needs neither.

Loc = tuple[str | int, ...]

# Excel's limits (EXCEL-FACTS.md); exceeding them corrupts a file or silently drops a rule.
# (one table of Excel's limits, used by the loader and by the layout's validations)
SHEET_NAME_MAX = 31
PROMPT_MAX = 255
ERROR_MAX = 224
TITLE_MAX = 32
#: a data-validation formula; longer conditions go into a hidden name (layout.plan)
FORMULA_MAX = 255
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")


@lru_cache(maxsize=1)
def builtin_dir() -> Path:
    """The folder of built-in specs: package data when installed, the repo's specs/ otherwise."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / "specs", here.parent / "specs"):
        if candidate.is_dir():
            return candidate
    raise SpecError("找不到内置表样文件夹（安装不完整，请重新安装 xltargets）")


def builtin_ids() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.yaml"))


#: folders (os.pathsep-separated) searched for ``<id>.yaml`` after the built-in specs: a
#: province's own spec is then known by its id to the reader, collect and feedback
SPEC_PATH_ENV = "XLTARGETS_SPEC_PATH"


def spec_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(SPEC_PATH_ENV, "").split(os.pathsep) if p]
    return [builtin_dir(), *extra]


def resolve(name_or_path: str | Path) -> Path:
    """A spec id (built-in, or in a folder of ``XLTARGETS_SPEC_PATH``) or a path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise SpecError("表样文件不存在" if not path.exists() else "不是文件（是一个文件夹）",
                            path=path)
        return path
    if re.fullmatch(r"[a-z][a-z0-9-]*", str(name_or_path)):
        for folder in spec_dirs():
            candidate = folder / f"{name_or_path}.yaml"
            if candidate.is_file():
                return candidate
    known = builtin_ids()
    close = difflib.get_close_matches(str(name_or_path), known, n=1, cutoff=0.6)
    hint = f"，是否想用“{close[0]}”？" if close else "。"
    raise SpecError(f"没有名为“{name_or_path}”的表样{hint}内置表样：{'、'.join(known)}；"
                    "也可以给出表样 YAML 文件的路径")


def load_spec(name_or_path: str | Path) -> Spec:
    """Load and validate a spec by built-in id or path; cached per file content.

    An id pinned in this process (:func:`pinned_spec`) gives the pinned spec: a round is read
    with the spec its templates were generated from, whatever its file says now."""
    if isinstance(name_or_path, str):
        hit = _pinned.get(name_or_path)
        if hit is not None:
            return hit
    path = resolve(name_or_path)
    try:
        stat = path.stat()
        key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)  # (no symlink walk: a key)
        hit = _by_file.get(key)
        if hit is not None:
            return hit
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = os_error_zh(exc) if isinstance(exc, OSError) else "不是 UTF-8 编码的文本"
        raise SpecError(f"无法读取表样文件：{why}", path=path) from None
    spec = _load_text(text, str(path))
    _by_file[key] = spec
    return spec


_by_file: dict[tuple[str, int, int], Spec] = {}

#: specs pinned by id in this process (:func:`pinned_spec`)
_pinned: dict[str, Spec] = {}


@contextmanager
def pinned_spec(spec: Spec | None) -> Iterator[None]:
    """Within the block, :func:`load_spec` gives ``spec`` for its id (``None``: no change).

    Collect pins the spec a round's templates were generated from (the manifest holds its
    definition): the returns are then read, checked and summarised with the plan their
    templates were drawn with, even after the spec's file changed or xltargets was upgraded
    in the middle of the round. Per process: collect's workers pin it again as they start."""
    if spec is None:
        yield
        return
    before = _pinned.get(spec.id)
    _pinned[spec.id] = spec
    try:
        yield
    finally:
        if before is None:
            _pinned.pop(spec.id, None)
        else:
            _pinned[spec.id] = before


def pin_spec(spec: Spec) -> None:
    """:func:`pinned_spec` for the rest of this process's life (a collect worker: one run)."""
    _pinned[spec.id] = spec


def spec_definition(spec: Spec) -> dict[str, Any]:
    """The spec's content as :func:`spec_hash` hashes it (defaults left out): what a manifest
    keeps so that its round can be read with this spec later (:func:`spec_from_definition`)."""
    definition: dict[str, Any] = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return definition


def spec_from_definition(definition: Any, expected_hash: str, source: str) -> Spec:
    """The spec of :func:`spec_definition`, validated as a spec file is, and proven to be the
    one that was hashed (``expected_hash``). Raises :class:`SpecError`."""
    if not isinstance(definition, dict):
        raise SpecError("表样定义应为 JSON 对象", path=source)
    # JSON is YAML: the same loader and checks as a spec file
    spec = parse_spec(json.dumps(definition, ensure_ascii=False, indent=0), source)
    if spec_hash(spec) != expected_hash:
        raise SpecError(f"表样定义与其哈希 {expected_hash[:40]} 不符（内容被改动过）", path=source)
    return spec


@lru_cache(maxsize=32)
def _load_text(text: str, source: str) -> Spec:
    hit = _cache.load(text)
    if hit is not None and isinstance(hit[0], Spec):
        spec, value = hit
        _hashes[id(spec)] = (spec, value)
        return spec
    spec = parse_spec(text, source)
    _cache.store(text, spec, spec_hash(spec))
    return spec


def parse_spec(text: str, source: str = "<spec>") -> Spec:
    data, lines = _yaml_with_lines(text, source)
    if not isinstance(data, dict):
        raise SpecError("表样应为 YAML 映射（id、version、sheets 等键）", path=source, line=1)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = _data_loc(data, err["loc"])
            errors.append(_located(source, lines, loc, _message(dict(err))))
        first = errors[0]
        first.all_errors = errors  # type: ignore[attr-defined]
        raise first from None
    problems = semantic_errors(spec)
    if problems:
        errors = [_located(source, lines, loc, msg) for loc, msg in problems]
        first = errors[0]
        first.all_errors = errors  # type: ignore[attr-defined]
        raise first
    return spec


_hashes: dict[int, tuple[Spec, str]] = {}


def spec_hash(spec: Spec) -> str:
    """Content hash of a spec: formatting and comments of the YAML do not change it."""
    # specs are frozen: hash each object once (the reader asks on every file)
    hit = _hashes.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    value = _compute_hash(spec)
    if len(_hashes) > 256:
        _hashes.clear()
    _hashes[id(spec)] = (spec, value)
    return value


def _compute_hash(spec: Spec) -> str:
    # defaults left out: a spec keeps its hash when the format gains an optional key
    canonical = json.dumps(spec.model_dump(mode="json", by_alias=True, exclude_defaults=True),
                           sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def json_schema() -> dict[str, Any]:
    from .model import Roles

    # the models are built on first use (defer_build): the default Roles() is encoded into the
    # schema with Roles' own serializer, which nothing may have built yet
    Roles.model_rebuild()
    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "xltargets form spec"
    return schema


# --- YAML with line numbers -------------------------------------------------------------------

def _yaml_with_lines(text: str, source: str) -> tuple[Any, dict[Loc, int]]:
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"YAML 语法错误：{_yaml_problem_zh(problem)}", path=source, line=line) from None
    if node is None:
        raise SpecError("表样文件是空的", path=source)
    lines: dict[Loc, int] = {}
    try:
        return _construct(node, (), lines), lines
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML 错误：{exc}", path=source) from None


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> Any:
    import yaml

    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader(" ").construct_object(key_node)  # scalars only
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, (*loc, key), lines)
            lines[(*loc, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), lines) for i, item in enumerate(node.value)]
    loader = yaml.SafeLoader("")
    return loader.construct_object(node)


def _data_loc(data: Any, loc: tuple[Any, ...]) -> Loc:
    """Drop the discriminator tags pydantic inserts (``rules.0.sum_equals.terms``)."""
    out: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current or isinstance(current, list) and isinstance(part, int) and part < len(current):
            out.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and part not in current:
            if "[" in part or part in ("function-after", "function-before"):
                continue
            if any(isinstance(v, dict) and v.get("type") == part for v in [current]):
                continue
            out.append(part)
            current = None
        else:
            current = None
    return tuple(out)


def _located(source: str, lines: dict[Loc, int], loc: Loc, message: str) -> SpecError:
    line = None
    probe: Loc | None = loc
    while probe is not None:
        if probe in lines:
            line = lines[probe]
            break
        probe = probe[:-1] if probe else None
    return SpecError(message, path=source, line=line, location=_loc_text(loc) or None)


def _loc_text(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(err: dict[str, Any]) -> str:
    """Pydantic's error in Chinese, for the error types a spec author meets."""
    kind = str(err.get("type"))
    ctx = err.get("ctx") or {}
    got = err.get("input")
    shown = got if isinstance(got, str | int | float | bool) else type(got).__name__
    if kind == "enum":
        return f"未知的取值“{got}”，应为：{str(ctx.get('expected', '')).replace(' or ', ', ')}"
    if kind == "literal_error":
        return f"取值“{shown}”不正确，应为：{ctx.get('expected', '')}"
    if kind == "extra_forbidden":
        return "未知的键（是否拼写错误？）"
    if kind == "missing":
        return "缺少必需的键"
    if kind == "union_tag_invalid":
        return f"未知的规则类型“{ctx.get('tag')}”，应为：{ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"缺少“{ctx.get('discriminator', 'type')}”键"
    if kind == "string_pattern_mismatch":
        return f"“{shown}”格式不正确（应匹配 {ctx.get('pattern')}）"
    if kind in _TYPE_ZH:
        return f"应为{_TYPE_ZH[kind]}，实际为“{shown}”"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤",
              "less_than": "<"}[kind]
        limit = next(iter(ctx.values()), "")
        return f"取值“{shown}”应{op}{limit}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return f"长度不符合要求（{ctx}）"
    if kind == "value_error":
        return f"取值不正确：{ctx.get('error', err.get('msg'))}"
    return f"取值不正确（{kind}）"


#: pydantic's type errors: what the key should have held
_TYPE_ZH = {
    "string_type": "文本", "int_type": "整数", "int_parsing": "整数", "int_from_float": "整数",
    "float_type": "数字", "float_parsing": "数字", "decimal_type": "数字",
    "decimal_parsing": "数字", "bool_type": "true 或 false", "bool_parsing": "true 或 false",
    "list_type": "列表（- 开头的各行，或 [a, b]）", "dict_type": "映射（键: 值）",
    "model_type": "映射（键: 值）", "model_attributes_type": "映射（键: 值）",
}

#: PyYAML's few problem sentences, in Chinese (anything else is shown as PyYAML says it)
_YAML_ZH = {
    "mapping values are not allowed here": "此处不能出现“键: 值”（缩进或冒号有误？）",
    "could not find expected ':'": "缺少“:”",
    "found character '\\t' that cannot start any token": "含有制表符（YAML 只能用空格缩进）",
    "expected <block end>, but found '<block sequence start>'": "缩进不一致",
    "did not find expected key": "缩进有误或缺少键",
    "found unexpected end of stream": "文件意外结束（引号或括号未闭合？）",
    "found undefined alias": "使用了未定义的别名",
    "did not find expected ',' or ']'": "缺少“,”或“]”",
    "did not find expected ',' or '}'": "缺少“,”或“}”",
}


def _yaml_problem_zh(problem: str) -> str:
    for english, chinese in _YAML_ZH.items():
        if problem.startswith(english):
            return chinese
    return problem


# --- semantic checks --------------------------------------------------------------------------

_SAMPLE = {"year": 2099, "n": 99, "unit_code": "000000", "unit_name": "单位名称",
           "project": {}, "spec": {}}


def semantic_errors(spec: Spec) -> list[tuple[Loc, str]]:
    """Everything a schema cannot say: references, geometry, Excel limits."""
    import jinja2

    jinja = jinja2.Environment(undefined=jinja2.ChainableUndefined, autoescape=False)
    out: list[tuple[Loc, str]] = []
    lists = set(spec.lists) | {"taxonomy.level1", "taxonomy.level2"}
    level1s = [n.level1 for n in spec.taxonomy]
    if len(set(level1s)) != len(level1s):
        out.append((("taxonomy",), "有一级指标重复出现"))
    for i, node in enumerate(spec.taxonomy):
        if not node.level2:
            out.append((("taxonomy", i, "level2"), "一级指标至少需要一个二级指标"))
    sheet_ids = [s.id for s in spec.sheets]
    if len(set(sheet_ids)) != len(sheet_ids):
        out.append((("sheets",), "有两个工作表的 id 相同"))
    if sum(1 for s in spec.sheets if s.repeat == "per_project") > 1:
        out.append((("sheets",), "最多只能有一个工作表按项目重复（repeat: per_project）"))
    names_seen: set[str] = set()
    for si, sheet in enumerate(spec.sheets):
        at: Loc = ("sheets", si)
        try:
            name = jinja.from_string(sheet.name).render(**_SAMPLE)
        except jinja2.TemplateError as exc:
            out.append(((*at, "name"), f"名称模板有误：{exc}"))
            name = sheet.name
        if len(name) > SHEET_NAME_MAX:
            out.append(((*at, "name"), f"工作表名“{name}”超过{SHEET_NAME_MAX}个字符（Excel 的限制）"))
        if SHEET_NAME_FORBIDDEN & set(name):
            out.append(((*at, "name"), f"工作表名“{name}”含有 Excel 不允许的字符 []:*?/\\"))
        if sheet.repeat == "per_project" and "{{" not in sheet.name:
            out.append(((*at, "name"), "按项目重复的工作表名必须含有 {{ n }}（项目序号）"))
        if name in names_seen:
            out.append(((*at, "name"), f"工作表名“{name}”重复"))
        names_seen.add(name)
        fields = {f.id: (fi, f) for fi, f in enumerate(sheet.fields)}
        tables = {t.id: (ti, t) for ti, t in enumerate(sheet.tables)}
        if len(fields) != len(sheet.fields):
            out.append(((*at, "fields"), "有两个字段的 id 相同"))
        for fi, f in enumerate(sheet.fields):
            out.extend(_field_errors((*at, "fields", fi), f, lists))
        for ti, t in enumerate(sheet.tables):
            tat = (*at, "tables", ti)
            if t.id in fields:
                out.append(((*tat, "id"), f"表格 id“{t.id}”与某个字段 id 相同"))
            col_ids = [c.id for c in t.columns]
            if len(set(col_ids)) != len(col_ids):
                out.append(((*tat, "columns"), "有两列的 id 相同"))
            for need in (t.level1, t.level2):
                if need is not None and need not in col_ids:
                    out.append(((*tat,), f"表格缺少“{need}”列（指标体系的层级）"))
            if t.style == "skeleton" and (t.level1 is None or t.level2 is None):
                out.append(((*tat, "style"), "skeleton 表格需要 level1 和 level2 列"
                                             "（在 roles.indicators 或表格的 level1/level2 中指定）"))
            for ci, c in enumerate(t.columns):
                cat = (*tat, "columns", ci)
                for key in ("list", "suggest"):
                    ref = getattr(c, key)
                    if ref is not None and ref not in lists:
                        out.append(((*cat, key), f"未知的列表“{ref}”（可用：{'、'.join(sorted(lists))}）"))
                if c.depends_on is not None and c.depends_on not in col_ids:
                    out.append(((*cat, "depends_on"), f"未知的列“{c.depends_on}”"))
                if c.help and len(c.help) > PROMPT_MAX:
                    out.append(((*cat, "help"), f"输入提示超过{PROMPT_MAX}个字符（Excel 的限制）"))
                if c.span < 1:
                    out.append(((*cat, "span"), "span 至少为 1"))
            for name in t.merge_equal:
                if name not in col_ids:
                    out.append(((*tat, "merge_equal"), f"未知的列“{name}”"))
            for cat_name in t.category_rows:
                if not any(cat_name in n.level2 for n in spec.taxonomy):
                    out.append(((*tat, "category_rows"), f"“{cat_name}”不是指标体系中的二级指标"))
            if t.style == "free" and t.rows < 1:
                out.append(((*tat, "rows"), "free 表格至少需要一行"))
        out.extend(_grid_errors(at, sheet, fields, tables, spec))
    out.extend(_role_errors(spec))
    rule_ids = [r.id for r in spec.rules]
    if len(set(rule_ids)) != len(rule_ids):
        out.append((("rules",), "有两条规则的 id 相同"))
    for ri, rule in enumerate(spec.rules):
        out.extend(_reference_errors(("rules", ri), rule, spec))
    return out


def _role_errors(spec: Spec) -> list[tuple[Loc, str]]:
    """Every role names a field (or table and columns) that exists where the role needs it."""
    out: list[tuple[Loc, str]] = []
    roles = spec.roles
    project = spec.project_sheet()
    project_fields = {f.id: f for f in project.fields} if project is not None else {}
    all_fields = {f.id for s in spec.sheets for f in s.fields}
    for key in ("unit_code", "unit_name"):
        ref = getattr(roles, key)
        if ref is not None and ref not in all_fields:
            out.append((("roles", key), f"未知的字段“{ref}”"))
    for key in ("project_code", "project_name"):
        ref = getattr(roles, key)
        if ref is not None and ref not in project_fields:
            out.append((("roles", key), f"“{ref}”不是项目工作表上的字段"))
    for i, ref in enumerate(roles.amounts):
        f = project_fields.get(ref)
        if f is None or f.kind != Kind.money:
            out.append((("roles", "amounts", i), f"“{ref}”不是项目工作表上的金额（money）字段"))
    ind = roles.indicators
    if ind is not None:
        tables = [t for s in spec.sheets for t in s.tables if t.id == ind.table]
        if not tables:
            out.append((("roles", "indicators", "table"), f"未知的表格“{ind.table}”"))
        for t in tables:
            cols = {c.id for c in t.columns}
            for key in ("level1", "level2", "level3", "value"):
                ref = getattr(ind, key)
                if ref is not None and ref not in cols:
                    out.append((("roles", "indicators", key), f"表格“{t.id}”没有“{ref}”列"))
            if (t.level1, t.level2) != (ind.level1, ind.level2):
                out.append((("roles", "indicators"), f"表格“{t.id}”声明的层级列与 roles.indicators 不一致"))
    return out


def _reference_errors(at: Loc, rule: Any, spec: Spec) -> list[tuple[Loc, str]]:
    """Each name a rule lists (:meth:`xltargets.rules._Rule.references`) must exist."""
    out: list[tuple[Loc, str]] = []
    sheets = {s.id: s for s in spec.sheets}
    level1s = [n.level1 for n in spec.taxonomy]
    level2s = [l2 for n in spec.taxonomy for l2 in n.level2]
    for ref in rule.references():
        loc: Loc = (*at, ref.key) if ref.index is None else (*at, ref.key, ref.index)
        sheet = sheets.get(ref.sheet) if ref.sheet is not None else None
        if ref.kind == "sheet":
            if ref.name not in sheets:
                out.append((loc, f"未知的工作表“{ref.name}”（可用：{'、'.join(sheets)}）"))
        elif ref.kind in ("field", "table", "column") and sheet is None:
            continue  # the unknown sheet is reported once, above
        elif ref.kind == "field" and sheet is not None:
            known = [f.id for f in sheet.fields]
            if ref.name not in known:
                out.append((loc, f"工作表“{sheet.id}”上没有字段“{ref.name}”"
                                 f"{_did_you_mean(ref.name, known)}"))
        elif ref.kind == "table" and sheet is not None:
            here = {t.id: t for t in sheet.tables}
            if ref.name not in here:
                out.append((loc, f"工作表“{sheet.id}”上没有表格“{ref.name}”"
                                 f"{_did_you_mean(ref.name, list(here))}"))
            elif here[ref.name].level1 is None or here[ref.name].level2 is None:
                out.append((loc, f"表格“{ref.name}”没有 level1/level2 列（请在 roles.indicators 中指定）"))
        elif ref.kind == "column" and sheet is not None:
            table = next((t for t in sheet.tables if t.id == ref.table), None)
            known = [c.id for c in table.columns] if table is not None else []
            if table is not None and ref.name not in known:
                out.append((loc, f"表格“{table.id}”没有“{ref.name}”列"
                                 f"{_did_you_mean(ref.name, known)}"))
        elif ref.kind == "level1" and ref.name not in level1s:
            out.append((loc, f"“{ref.name}”不是指标体系中的一级指标"))
        elif ref.kind == "level2" and ref.name not in level2s:
            out.append((loc, f"“{ref.name}”不是指标体系中的二级指标"))
    return out


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"（是否应为“{close[0]}”？）" if close else f"（可用：{'、'.join(known)}）"


def _field_errors(at: Loc, f: Any, lists: set[str]) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    if f.help and len(f.help) > PROMPT_MAX:
        out.append(((*at, "help"), f"输入提示超过{PROMPT_MAX}个字符（Excel 的限制）"))
    if f.kind == Kind.choice and (f.list is None or f.list not in lists):
        out.append(((*at, "list"), "choice 字段需要指定一个已定义的列表（list）"))
    if f.suggest is not None and f.suggest not in lists:
        out.append(((*at, "suggest"), f"未定义的列表“{f.suggest}”"))
    if f.kind == Kind.text_list and not f.rows:
        out.append(((*at, "rows"), "text_list 字段需要 rows（行数）"))
    if f.pattern is not None:
        try:
            re.compile(f.pattern)
        except re.error as exc:
            out.append(((*at, "pattern"), f"正则表达式有误：{exc}"))
        else:
            # the template checks it too: only a pattern Excel can check (docs/specs.md)
            problem = pattern_problem(f.pattern)
            if problem is not None:
                out.append(((*at, "pattern"), problem))
            if f.kind == Kind.text_list:
                out.append(((*at, "pattern"), "pattern 只能用于单个单元格的字段，不能用于 text_list"))
    if len(f.label) > TITLE_MAX:
        out.append(((*at, "label"), f"标签超过{TITLE_MAX}个字符（Excel 输入提示标题的限制）"))
    return out


#: kinds a live text may follow: one text cell each (a number would print in General format)
_LIVE_KINDS = frozenset({Kind.text, Kind.code, Kind.choice, Kind.phone})


def _live_errors(at: Loc, parts: list[Any], sheet: Any, spec: Spec) -> list[tuple[Loc, str]]:
    """A live text's cells exist, each a single text cell, on its sheet or on a sheet printed
    once (a repeated sheet has no single cell to follow)."""
    out: list[tuple[Loc, str]] = []
    sheets = {s.id: s for s in spec.sheets}
    for pi, part in enumerate(parts):
        if isinstance(part, str):
            continue
        where = sheet if part.sheet in (None, sheet.id) else sheets.get(part.sheet)
        if where is None:
            out.append(((*at, pi, "sheet"), f"未知的工作表“{part.sheet}”"))
            continue
        if where is not sheet and where.repeat != "once":
            out.append(((*at, pi, "sheet"), f"工作表“{where.id}”按项目重复，不能引用其字段"))
            continue
        f = next((f for f in where.fields if f.id == part.field), None)
        if f is None:
            out.append(((*at, pi, "field"), f"工作表“{where.id}”上没有字段“{part.field}”"))
        elif f.kind not in _LIVE_KINDS:
            out.append(((*at, pi, "field"), f"字段“{part.field}”不是单个文字单元格，不能用于 live"))
    return out


def _grid_errors(at: Loc, sheet: Any, fields: dict[str, Any], tables: dict[str, Any],
                 spec: Spec) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    width = len(sheet.columns)
    placed: dict[str, int] = {}
    rule_ids = {r.id for r in spec.rules}
    covered: dict[int, set[int]] = {}
    row_no = 0
    for ri, row in enumerate(sheet.rows):
        rat = (*at, "rows", ri)
        kinds = [k for k in ("cells", "table", "list") if getattr(row, k) is not None]
        if len(kinds) != 1:
            out.append((rat, "每行只能有 cells、table、list 中的一个"))
            row_no += 1
            continue
        if row.aside is not None and row.aside not in rule_ids:
            out.append(((*rat, "aside"), f"未知的规则“{row.aside}”"))
        if row.cells is not None:
            col = 0
            taken = covered.get(row_no, set())
            for ci, cell in enumerate(row.cells):
                cat = (*rat, "cells", ci)
                while col in taken:
                    col += 1
                roles = [k for k in ("text", "field", "check", "live") if getattr(cell, k) is not None]
                if len(roles) != 1:
                    out.append((cat, "每个单元格只能有 text、field、check、live 中的一个"))
                if cell.live is not None:
                    out.extend(_live_errors((*cat, "live"), cell.live, sheet, spec))
                if cell.span < 1 or cell.rowspan < 1:
                    out.append((cat, "span 和 rowspan 至少为 1"))
                if col + cell.span > width:
                    out.append((cat, f"单元格超出了工作表的{width}列"))
                if cell.field is not None:
                    if cell.field not in fields:
                        out.append(((*cat, "field"), f"未知的字段“{cell.field}”"))
                    placed[cell.field] = placed.get(cell.field, 0) + 1
                if cell.check is not None and cell.check not in rule_ids:
                    out.append(((*cat, "check"), f"未知的规则“{cell.check}”"))
                for dr in range(1, cell.rowspan):
                    covered.setdefault(row_no + dr, set()).update(range(col, col + cell.span))
                col += cell.span
            row_no += 1
        else:
            ref = row.table if row.table is not None else row.list
            if row.table is not None and ref not in tables:
                out.append(((*rat, "table"), f"未知的表格“{ref}”"))
                row_no += 1
                continue
            if row.list is not None:
                if ref not in fields or fields[ref][1].kind != Kind.text_list:
                    out.append(((*rat, "list"), f"“{ref}”不是 text_list 字段"))
                    row_no += 1
                    continue
                placed[ref] = placed.get(ref, 0) + 1
            if row.table is not None:
                t = tables[ref][1]
                need = sum(c.span for c in t.columns) + (row.side_span if row.side_label else 0)
                if need > width:
                    out.append((rat, f"表格“{ref}”需要{need}列，工作表只有{width}列"))
            row_no += 1  # blocks are checked as one row here: the planner expands them
    for fid in fields:
        if placed.get(fid, 0) == 0:
            out.append(((*at, "fields", fields[fid][0]), f"字段“{fid}”没有放在 rows 中"))
        elif placed[fid] > 1:
            out.append(((*at, "fields", fields[fid][0]), f"字段“{fid}”在 rows 中出现了两次"))
    return out
