"""serve: the web intake. Departments upload their returns through their own link and see at once
what is wrong; the office sees who has returned and regenerates the consolidation.

    xltargets serve --root DIR --manifest sent/manifest.json [--db URL] [--workers N]

Library face: :class:`ServeConfig`, :func:`prepare` (office token, links.csv; run once before
serving), :func:`create_app` (the ASGI app of one process) and :func:`run` (uvicorn). The web
framework is the optional extra ``xltargets[web]``: importing this package does not need it,
calling :func:`create_app` or :func:`run` does. See docs/web.md.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ._config import OFFICE_TOKEN_ENV, ServeConfig
    from ._setup import Prepared, prepare

#: names loaded on first use: the CLI imports this package to register `serve`, and every other
#: command (`xltargets read`, `--help`) must not pay for collect and the database layer
_LAZY = {"ENV": "._config", "OFFICE_TOKEN_ENV": "._config", "ServeConfig": "._config",
         "Prepared": "._setup", "prepare": "._setup"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module, __name__), name)


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI app of one server process."""
    from ._app import create_app as make

    return make(config)


def run(config: ServeConfig, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
        log_level: str = "warning") -> None:
    """Serve until interrupted. With ``workers`` > 1, uvicorn starts that many processes, each
    building the app from the configuration passed in the environment."""
    import uvicorn

    from ._config import ENV

    if workers > 1:
        os.environ[ENV] = config.to_env()
        uvicorn.run("xltargets.serve._app:app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level=log_level, proxy_headers=False)
    else:
        uvicorn.run(create_app(config), host=host, port=port, log_level=log_level,
                    proxy_headers=False)


__all__ = ["OFFICE_TOKEN_ENV", "Prepared", "ServeConfig", "create_app", "prepare", "run"]
