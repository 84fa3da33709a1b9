"""The command line: thin Typer commands over the library.

Each command parses options, makes one library call, prints, and sets the exit status. Every
:class:`XltargetsError` becomes one line ``错误：…`` naming the file; a traceback means a bug.
Exit status: 0 fine, 1 findings of severity error (or a failed check), 2 an input that cannot
be read or a usage error.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from . import __version__
from ._atomic import write_text
from ._console import LazyConsole
from .errors import OutputError, SpecError, XltargetsError, os_error_zh
from .findings import SEVERITY_ZH, STATUS_LABELS

# help pages printed plainly: Typer's rich panels cut Chinese help lines with "…" (no spaces to
# wrap at) where plain Click wraps them
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="xltargets：预算绩效目标表——生成锁定的 Excel 模板，读取、检查并汇总各单位报送的表格。")
specs_app = typer.Typer(no_args_is_help=True, help="查看和检查表样（各地表格格式的 YAML 描述）。")
app.add_typer(specs_app, name="specs")
schema_app = typer.Typer(no_args_is_help=True,
                         help="输出 JSON Schema：报送数据 JSON、表样格式。")
app.add_typer(schema_app, name="schema")

# rich is imported when a console prints more than a plain line (not on `read FILE -o OUT`)
out = LazyConsole(soft_wrap=True)
err = LazyConsole(stderr=True, soft_wrap=True)

SpecArg = Annotated[str, typer.Argument(help="表样：内置编号（hebei-county、hunan、shanghai-district，见 specs list）或 YAML 文件。")]
PasswordOpt = Annotated[str | None, typer.Option(
    "--password", envvar="XLTARGETS_PASSWORD",
    help="工作表和工作簿的保护密码（也可用环境变量 XLTARGETS_PASSWORD）；不会被保存。")]


def _fail(exc: XltargetsError, code: int) -> None:
    for e in getattr(exc, "all_errors", None) or [exc]:
        err.print("[bold red]错误：[/]", end="", highlight=False, markup=True)
        err.print(str(e), highlight=False, markup=False)
    raise typer.Exit(code)


def _errors(command: Callable[..., None]) -> Callable[..., None]:
    """Every input or environment problem of a command as one Chinese line and exit 2.

    The library raises :class:`XltargetsError` for what it foresaw; an ``OSError`` that escapes
    (a full disk, a folder where a file was expected) is reported the same way, with its path.
    A traceback is left only for a bug."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> None:
        try:
            command(*args, **kwargs)
        except XltargetsError as exc:
            _fail(exc, 2)
        except OSError as exc:
            where = exc.filename if exc.filename is not None else "（未知路径）"
            _fail(OutputError(os_error_zh(exc), path=where), 2)

    return wrapper


def _output_file(path: Path) -> None:
    """Refuse an output file path that cannot be a file, before any work is done."""
    if path.is_dir():
        raise OutputError("这是一个文件夹；请给出要写入的文件名（如 out.json）", path=path)
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"“{parent}”是一个文件，不是文件夹", path=path)


def _write_output(path: Path, text: str) -> None:
    _output_file(path)
    try:
        write_text(path, text)
    except OSError as exc:
        raise OutputError.from_os(exc, path) from None


def _emit(text: str, output: Path | None) -> None:
    """A document to the file asked for, else to standard output."""
    if output:
        _write_output(output, text)
    else:
        sys.stdout.write(text)


def _output_dir(path: Path) -> None:
    """Refuse an output folder that is an existing file (the library would fail half-way)."""
    if path.exists() and not path.is_dir():
        raise OutputError("已存在同名文件，不是文件夹；请指定一个输出文件夹", path=path)


def _version(value: bool) -> None:
    if value:
        out.print(f"xltargets {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="显示版本号后退出。")] = False) -> None:
    """xltargets command line."""


# --- specs -------------------------------------------------------------------------------------

@specs_app.command("list", help="列出内置表样。")
@_errors
def specs_list() -> None:
    """List the built-in specs."""
    from .spec import builtin_ids, load_spec

    for spec_id in builtin_ids():
        spec = load_spec(spec_id)
        out.print(f"{spec.id}\t{spec.version}\t{spec.name}", highlight=False)


def _sheet_title(name: str, repeat: str) -> str:
    """A sheet's name as a department sees it: ``项目{{ n }}`` → ``项目1、项目2 …（每个项目一张）``."""
    from .generate.draw import render

    def shown(n: int) -> str:
        try:
            return render(name, {"n": n, "year": "YYYY"})
        except Exception:  # a template the loader accepted but that renders oddly: show it raw
            return name

    if repeat == "per_project":
        return f"{shown(1)}、{shown(2)} …（每个项目一张，名称模板 {name}）"
    return shown(1)


@specs_app.command("show", help="显示表样的工作表、字段和校验规则。")
@_errors
def specs_show(spec: SpecArg) -> None:
    """Show a spec's sheets, fields and rules."""
    from .spec import load_spec, spec_hash

    s = load_spec(spec)
    out.print(f"[bold]{s.id}[/] {s.version} — {s.name}  (hash {spec_hash(s)})", highlight=False)
    for sheet in s.sheets:
        out.print(f"\n[bold]{_sheet_title(sheet.name, sheet.repeat)}[/] ({sheet.id}, {sheet.repeat})",
                  highlight=False)
        for f in sheet.fields:
            flags = ", ".join(x for x in ("required" if f.required else "",
                                          "prefill" if f.prefill else "",
                                          f"{f.rows}行" if f.rows else "") if x)
            out.print(f"  {f.id:<16} {f.kind.value:<16} {f.label} {('(' + flags + ')') if flags else ''}",
                      highlight=False)
        for t in sheet.tables:
            cols = ", ".join(c.id for c in t.columns)
            rows = f"{t.rows}行" if t.style == "free" else f"每类{t.rows_per_category}行"
            out.print(f"  table {t.id} [{t.style}, {rows}]: {cols}", highlight=False, markup=False)
    out.print("\n[bold]taxonomy[/]")
    for node in s.taxonomy:
        out.print(f"  {node.level1} → {'、'.join(node.level2)}", highlight=False)
    out.print("\n[bold]rules[/]")
    for rule in s.rules:
        out.print(f"  {rule.id:<24} {rule.type:<20} {rule.severity.value}", highlight=False)


@specs_app.command("check", help="检查表样文件，逐条列出错误及其行号；有错误时退出码为 1。")
@_errors
def specs_check(file: Annotated[Path, typer.Argument(help="表样 YAML 文件。")]) -> None:
    """Validate a spec file; every mistake is printed with its line. Exit 1: mistakes found."""
    from .spec import load_spec

    if not file.is_file():
        why = "文件不存在" if not file.exists() else "这是一个文件夹，不是表样文件"
        raise SpecError(why, path=file)  # cannot check what cannot be read: exit 2
    try:
        s = load_spec(file)
    except SpecError as exc:
        _fail(exc, 1)
    out.print(f"表样正确：{s.id} {s.version}", highlight=False)


@specs_app.command("schema", help="输出（或写入文件）表样格式的 JSON Schema，供编辑器使用。")
@_errors
def specs_schema(output: Annotated[Path | None, typer.Option("-o", "--output", help="写入此文件（默认输出到屏幕）。")] = None) -> None:
    """Print (or write) the JSON Schema of the spec format, for editors."""
    from .spec import json_schema

    _emit(json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n", output)


@schema_app.command("submission", help="输出（或写入文件）报送数据 JSON 的 JSON Schema。")
@_errors
def schema_submission(output: Annotated[Path | None, typer.Option("-o", "--output", help="写入此文件（默认输出到屏幕）。")] = None) -> None:
    """Print (or write) the JSON Schema of the submission JSON (read, collect's submissions)."""
    from ._schemas import schema_text

    _emit(schema_text(), output)


@schema_app.command("spec", help="输出（或写入文件）表样格式的 JSON Schema（同 specs schema）。")
@_errors
def schema_spec(output: Annotated[Path | None, typer.Option("-o", "--output", help="写入此文件（默认输出到屏幕）。")] = None) -> None:
    """Print (or write) the JSON Schema of the spec format (the same as ``specs schema``)."""
    specs_schema(output)


# --- generate ----------------------------------------------------------------------------------

@app.command(help="生成锁定的 Excel 模板：按名单每个单位一个（--roster），或一个空白模板（--projects N）。")
@_errors
def generate(
    spec: SpecArg,
    year: Annotated[int, typer.Option(help="预算年度，如 2025。", min=2000, max=2100)],
    out_dir: Annotated[Path, typer.Option("--out", help="输出文件夹。")],
    roster: Annotated[Path | None, typer.Option(help="单位名单（CSV 或 .xlsx）：每个单位生成一个工作簿，并写出下发清单 manifest.json。")] = None,
    projects: Annotated[int | None, typer.Option(help="生成一个含 N 个项目表的空白模板（不按名单）。", min=0, max=200)] = None,
    batch: Annotated[str, typer.Option(help="本轮下发的批次名（计入模板编号）。")] = "",
    password: PasswordOpt = None,
    indicator_rows: Annotated[int | None, typer.Option(
        help="指标表的行数（默认按表样，见 specs show）；名单的“指标行数”列可为单个单位另定。")] = None,
    category_rows: Annotated[int | None, typer.Option(
        help="按类别印好的指标表每类的行数（表样给某类更多行的，保留更多）；"
             "名单的“每类指标行数”列可为单个单位另定。")] = None,
    rows: Annotated[list[str] | None, typer.Option(
        help="其他表格或列表的行数，写作 编号或名称=行数，可重复，如 --rows sub_goals=12。")] = None,
) -> None:
    """Write locked Excel templates (one per department with --roster, or one blank)."""
    from rich.progress import track

    from .generate import generate_batch, generate_blank
    from .layout.capacity import Capacity, requested
    from .spec import load_spec

    if (roster is None) == (projects is None):
        err.print("错误：请指定 --roster（按名单生成）或 --projects N（空白模板）之一")
        raise typer.Exit(2)
    _output_dir(out_dir)
    s = load_spec(spec)
    asked = requested(s, indicator_rows=indicator_rows, category_rows=category_rows,
                      rows=rows or ())
    Capacity.of(s, asked)  # out of bounds: one Chinese line and exit 2, before any work
    if roster is not None:
        manifest = generate_batch(
            s, year, roster, out_dir, password=password, batch=batch, rows=asked,
            progress=lambda items: track(items, description="生成模板", console=err.real(),
                                         disable=not err.is_terminal))
        out.print(f"已生成 {len(manifest['workbooks'])} 个工作簿 → {out_dir}（清单 manifest.json）")
    else:
        path = generate_blank(s, year, projects or 0, out_dir, password=password, batch=batch,
                              rows=asked)
        out.print(f"已生成空白模板 → {path}")


# --- read / check ------------------------------------------------------------------------------

def _read(workbook: Path, spec: str | None, manifest: Path | None = None) -> Any:
    from .read import ReadOptions, read_workbook
    from .spec import pinned_spec

    sent_spec = None
    if manifest is not None:  # (collect's package: loaded only when asked for)
        from .collect._manifest import load_manifest

        sent_spec = load_manifest(manifest).spec
    with pinned_spec(sent_spec):
        return read_workbook(workbook, ReadOptions(spec=spec))


ManifestOpt = Annotated[Path | None, typer.Option(
    help="下发清单 manifest.json：按其中保存的下发时的表样读取（下发后表样有改动时用）。")]


@app.command(help="读取一份报送工作簿，输出 JSON。退出码 0：无错误；1：发现错误；2：无法读取。")
@_errors
def read(
    workbook: Annotated[Path, typer.Argument(help="单位报送的 .xlsx 工作簿。")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="把 JSON 写入此文件（默认输出到屏幕）。")] = None,
    spec: Annotated[str | None, typer.Option(help="按此表样读取（默认按工作簿里记录的表样）。")] = None,
    manifest: ManifestOpt = None,
) -> None:
    """Read a returned workbook into JSON. Exit 0: no errors, 1: errors found, 2: unreadable."""
    if output:
        _output_file(output)  # before the work, not after it
    submission = _read(workbook, spec, manifest)
    text = json.dumps(submission.to_json(), ensure_ascii=False, indent=2) + "\n"
    if output:
        _write_output(output, text)
        out.print(f"{workbook.name}: {_summary(submission)} → {output}", highlight=False)
    else:
        sys.stdout.write(text)
    raise typer.Exit(1 if submission.errors else 0)


def _summary(sub: Any) -> str:
    return f"{STATUS_LABELS[sub.status]}（错误 {len(sub.errors)}，警告 {len(sub.warnings)}）"


@app.command(help="检查一份报送工作簿，以表格列出发现的问题。退出码 0：无错误；1：发现错误；2：无法读取。")
@_errors
def check(
    workbook: Annotated[Path, typer.Argument(help="单位报送的 .xlsx 工作簿。")],
    spec: Annotated[str | None, typer.Option(help="按此表样读取（默认按工作簿里记录的表样）。")] = None,
    manifest: ManifestOpt = None,
) -> None:
    """Check a returned workbook and print its findings as a table."""
    from rich.table import Table

    submission = _read(workbook, spec, manifest)
    table = Table(title=f"{workbook.name}：{_summary(submission)}", show_lines=False)
    for col in ("级别", "代码", "工作表", "单元格", "说明"):
        table.add_column(col, overflow="fold")
    for f in submission.findings:
        table.add_row(SEVERITY_ZH[f.severity], f.code, f.sheet or "", f.cell or "", f.message)
    if submission.findings and out.is_terminal:
        out.print(table)
    elif submission.findings:
        # piped or logged: one finding per line, nothing wrapped
        out.print(table.title, highlight=False)
        for f in submission.findings:
            where = f"{f.sheet or ''}!{f.cell or ''}" if f.sheet else "-"
            out.print(f"{SEVERITY_ZH[f.severity]}\t{f.code}\t{where}\t{f.message}", highlight=False,
                      markup=False)
    else:
        out.print(f"{workbook.name}：通过，未发现问题", highlight=False)
    raise typer.Exit(1 if submission.errors else 0)


# --- collect -----------------------------------------------------------------------------------

@app.command("collect", help="汇总一个文件夹的报送：状态、JSON、数据库、汇总表、报告、修改意见副本。退出码 0：已汇总（有退回的报送也是 0）；2：无法运行（文件夹不存在、清单或数据库地址有误）。")
@_errors
def collect_cmd(
    inbox: Annotated[Path, typer.Argument(help="收到的报送文件所在文件夹（含子文件夹）。")],
    out_dir: Annotated[Path, typer.Option("--out", help="输出文件夹。")],
    manifest: Annotated[Path | None, typer.Option(help="generate --roster 写出的下发清单 manifest.json：用于列出未报送单位、核对预填内容。")] = None,
    db: Annotated[str | None, typer.Option(
        "--db", help="数据库地址（SQLAlchemy URL，SQLite 或 PostgreSQL）；默认 输出文件夹/xltargets.db。")] = None,
    jobs: Annotated[int, typer.Option(min=1, max=64, help="同时读取的进程数（默认为 CPU 核数）。")] = os.cpu_count() or 1,
    duplicates: Annotated[str, typer.Option(help="同一单位报送多份时保留哪一份：newest（最新保存的）| oldest（最早的）| fail（报错）。")] = "newest",
    feedback: Annotated[bool, typer.Option("--feedback/--no-feedback",
                                           help="为有问题的报送生成带批注的修改意见副本（--no-feedback 不生成）。")] = True,
    password: PasswordOpt = None,
    feedback_without_password: Annotated[bool, typer.Option(
        "--feedback-without-password",
        help="下发模板设有密码而未提供密码时，仍生成不设密码的修改意见副本。")] = False,
) -> None:
    """Collect a folder of returns: statuses, JSON, database, 汇总表, report, feedback copies.

    Exit 0 when the batch ran (rejected returns are the office's normal business), 2 when it
    could not run at all (no inbox, a bad manifest or database address)."""
    from .collect._pool import prestart

    prestart()  # the workers' server imports the reader while this process imports the rest
    from rich.progress import track

    from .collect import collect as run_collect

    _output_dir(out_dir)
    result = run_collect(
        inbox, out_dir, manifest=manifest, db_url=db, jobs=jobs, duplicates=duplicates,
        feedback=feedback, password=password, feedback_without_password=feedback_without_password,
        progress=lambda items: track(items, description="读取报送文件", console=err.real(),
                                     disable=not err.is_terminal))
    out.print(f"{result.summary_zh()} → {out_dir}", highlight=False)
    if result.mixed_zh():
        err.print(f"警告：{result.mixed_zh()}", highlight=False, markup=False)


# --- serve (the web intake; its options and code live in xltargets/serve) -----------------------

from .serve._cli import serve as _serve  # noqa: E402 - needs no web framework until it runs

app.command("serve", help="启动网页报送服务：各单位专属链接、上传即检查、办公室总览页。")(_serve)


def run(args: list[str] | None = None) -> None:
    """The ``xltargets`` command (console script and ``python -m xltargets``).

    Typer's standalone mode would print a usage error as an English panel; here it is one
    Chinese line and exit 2, like every other error (see :mod:`._cli_zh`)."""
    from ._cli_zh import click_of_typer, install_help, usage_line

    click = click_of_typer()
    argv = sys.argv[1:] if args is None else list(args)
    command = typer.main.get_command(app)
    install_help(command)
    try:
        code = command.main(args=argv, prog_name="xltargets", standalone_mode=False)
    except click.exceptions.UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError":
            error.show()  # a command (group) given nothing: its help page, as Click does
        else:
            err.print(f"错误：{usage_line(error)}", highlight=False, markup=False)
        code = 2
    except click.exceptions.Abort:
        err.print("已取消", highlight=False, markup=False)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    run()
