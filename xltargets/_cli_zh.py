"""The command line's own words in Chinese: the --help option and usage errors.

Our commands' help texts are written in Chinese where they are declared (cli.py). Around them
Click prints its own words in English. Help pages are printed plainly (``rich_markup_mode=None``:
Typer's rich panels cut Chinese lines that have no spaces with "…" instead of wrapping them),
so the headings "Usage:", "Options:", "[required]" stay Click's — recent Typer carries its own
copy of Click with these words fixed, no gettext to hook. The --help option's own text is set
here, and a usage error ("No such option: --yaer") becomes one line ``错误：…`` naming the
option and where to read the usage, like every other error of the command line.
"""

from __future__ import annotations

import importlib
import re
from difflib import get_close_matches
from types import ModuleType
from typing import Any

HELP_OPTION = "显示本帮助后退出。"


def click_of_typer() -> ModuleType:
    """The Click that Typer runs on: its own copy (``typer._click``) in recent Typer, ``click``
    before; found from Typer's public ``BadParameter`` so either works."""
    import typer

    return importlib.import_module(typer.BadParameter.__module__.rpartition(".")[0])


def install_help(command: Any) -> None:
    """The --help option of ``command`` and its subcommands described in Chinese (its text is
    set where each command makes the option; only ever cosmetic)."""
    _help_option_text(command)


def _help_option_text(command: Any) -> None:
    make = getattr(command, "get_help_option", None)
    if make is None:
        return

    def get_help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None and hasattr(option, "help"):
            option.help = HELP_OPTION
        return option

    command.get_help_option = get_help_option
    for sub in (getattr(command, "commands", None) or {}).values():
        _help_option_text(sub)


def _hint(error: Any) -> str:
    param = getattr(error, "param", None)
    if param is None:
        return getattr(error, "param_hint", None) or ""
    if getattr(param, "param_type_name", "") == "argument":
        return (getattr(param, "human_readable_name", None) or param.name or "").upper()
    return " / ".join(param.opts) or param.name or ""


#: what Typer (pydantic in recent versions, Click's types before) says of a bad value -> Chinese
_VALUE = (
    (re.compile(r"less than or equal to (\S+)"), "应不大于 {0}"),
    (re.compile(r"greater than or equal to (\S+)"), "应不小于 {0}"),
    (re.compile(r"less than (\S+)"), "应小于 {0}"),
    (re.compile(r"greater than (\S+)"), "应大于 {0}"),
    (re.compile(r"is not in the range (\S+?)\.?$"), "应在 {0} 范围内"),
    (re.compile(r"valid integer"), "应为整数"),
    (re.compile(r"valid (?:number|float)"), "应为数字"),
    (re.compile(r"valid bool"), "应为 true 或 false"),
    (re.compile(r"is not one of (.+?)\.?$|should be (.+)$"), "应为以下之一：{0}"),
)


def _bad_value(message: str) -> str:
    for pattern, zh in _VALUE:
        found = pattern.search(message)
        if found:
            return zh.format(next((g for g in found.groups() if g), "").strip(".'\""))
    return f"值无效（{message}）" if message else "值无效"


def _names(error: Any) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def usage_line(error: Any) -> str:
    """One Chinese line for a Click usage error, ending with where to look for the usage.

    Recognised by class name and message, so Typer's own copy of Click and Click itself both
    work; anything not recognised keeps its own words in brackets rather than none."""
    ctx = getattr(error, "ctx", None)
    where = ctx.command_path if ctx is not None else "xltargets"
    names, message = _names(error), str(getattr(error, "message", "") or "")
    command = _NO_COMMAND.search(message)
    if "NoSuchOption" in names:
        text = f"没有选项 {getattr(error, 'option_name', '')}"
        close = sorted(getattr(error, "possibilities", None) or ())
        if close:
            text += f"（是否要用 {'、'.join(close)}？）"
    elif "MissingParameter" in names:
        param = getattr(error, "param", None)
        kind = "参数" if getattr(param, "param_type_name", "") == "argument" else "选项"
        text = f"缺少{kind} {_hint(error)}"
    elif "BadParameter" in names:
        text = f"{_hint(error)} 的值不对：{_bad_value(message)}"
    elif "BadOptionUsage" in names:
        text = f"选项 {getattr(error, 'option_name', '')} 后面需要一个值"
    elif command is not None or "NoSuchCommand" in names:
        name = command.group(1) if command else getattr(error, "command_name", "")
        text = f"没有命令“{name}”"
        commands = getattr(getattr(ctx, "command", None), "commands", None) or {}
        close = get_close_matches(name, list(commands), n=3)
        if close:
            text += f"（是否要用 {'、'.join(close)}？）"
    elif message.startswith("Got unexpected extra argument"):
        extra = re.search(r"\(([^()]*)\)\s*$", message)
        text = f"多余的参数：{extra.group(1) if extra else message}"
    elif message.startswith("Missing command"):
        text = "缺少命令"
    else:
        text = f"用法不对（{message}）"
    return f"{text}；用 {where} --help 查看用法"


_NO_COMMAND = re.compile(r"No such command '([^']*)'")
