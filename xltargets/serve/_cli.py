"""``xltargets serve``: prepare the root, print the office token and the links, then serve."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from .._console import LazyConsole
from ..errors import XltargetsError

out = LazyConsole(soft_wrap=True, highlight=False)
err = LazyConsole(stderr=True, soft_wrap=True, highlight=False)
SOURCES = {"env": "来自环境变量 XLTARGETS_OFFICE_TOKEN", "file": "保存在 {path}",
           "new": "新生成，已保存到 {path}，仅本人可读"}


def serve(
    root: Annotated[Path, typer.Option("--root", help="数据目录：保存报送文件、各单位链接、办公室口令和 SQLite 数据库。")],
    manifest: Annotated[Path | None, typer.Option(help="generate --roster 写出的下发清单 manifest.json（第一次启动时需要）。")] = None,
    db: Annotated[str | None, typer.Option("--db", help="数据库地址（SQLAlchemy URL，SQLite 或 PostgreSQL）；默认 数据目录/xltargets.db。")] = None,
    host: Annotated[str, typer.Option(help="监听地址。")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="监听端口。")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="服务进程数。")] = 1,
    jobs: Annotated[int, typer.Option(min=1, max=64, help="每个服务进程的读取进程数。")] = max(1, (os.cpu_count() or 1)),
    base_url: Annotated[str | None, typer.Option(help="各单位链接使用的对外地址（默认 http://监听地址:端口）。")] = None,
    max_upload_mb: Annotated[int, typer.Option(min=1, max=1024, help="单个上传文件的大小上限（MB）。")] = 50,
    upload_timeout: Annotated[float, typer.Option(min=1, help="单个上传允许的最长时间（秒）。")] = 900,
    password: Annotated[str | None, typer.Option(
        "--password", envvar="XLTARGETS_PASSWORD", help="下发模板的保护密码（用于修改意见副本；也可用环境变量 XLTARGETS_PASSWORD）。")] = None,
) -> None:
    """Serve the web intake: department links, uploads checked at once, the office's overview."""
    from ._config import ServeConfig
    from ._setup import prepare

    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        err.print("错误：网页服务需要安装可选组件：pip install 'xltargets[web]'")
        raise typer.Exit(2) from None
    try:  # a clear line now rather than uvicorn's English after the links are printed
        import socket

        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        err.print(f"[bold red]错误：[/]无法在 {host}:{port} 上监听（{exc.strerror or exc}）：端口已被占用或地址无效")
        raise typer.Exit(2) from None
    base = (base_url or f"http://{host}:{port}").rstrip("/")
    config = ServeConfig(root=root.resolve(), db_url=db or "", base_url=base, jobs=jobs,
                         max_upload_bytes=max_upload_mb * 2**20, upload_seconds=upload_timeout,
                         password=password)
    try:
        prepared = prepare(config.root, config.database, base, manifest)
    except XltargetsError as exc:
        err.print(f"[bold red]错误：[/]{exc}")
        raise typer.Exit(2) from None
    config = ServeConfig(**{**config.__dict__, "office_token": prepared.office_token})
    where = SOURCES[prepared.office_token_source].format(path=config.root / "office-token")
    out.print(f"办公室页面：{base}/office")
    out.print(f"办公室口令：{prepared.office_token}（{where}）")
    out.print(f"各单位链接（{len(prepared.links)} 个）已写入 {prepared.links_file}：")
    for link in prepared.links:
        out.print(f"  {link['unit_code']}  {link['unit_name']}  {link['url']}")
    out.print(f"正在监听 {host}:{port}（{workers} 个服务进程），按 Ctrl-C 停止")
    out.file.flush()
    from . import run

    run(config, host=host, port=port, workers=workers)
