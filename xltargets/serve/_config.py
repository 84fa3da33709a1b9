"""The server's settings, and how they reach every server process.

``--workers N`` starts N processes that each import the app afresh, so the settings travel as
one JSON text in an environment variable; nothing else is shared between processes but the
database and the folder under ``root``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..read import Limits

ENV = "XLTARGETS_SERVE_CONFIG"
OFFICE_TOKEN_ENV = "XLTARGETS_OFFICE_TOKEN"
DB_NAME = "xltargets.db"


@dataclass(frozen=True)
class ServeConfig:
    """Everything a server process needs; ``root`` holds returns, links, the office token and,
    by default, the SQLite database."""

    root: Path
    db_url: str = ""
    #: the address printed in links.csv (``http://host:port``)
    base_url: str = "http://127.0.0.1:8000"
    #: reader processes per server process
    jobs: int = 1
    #: the largest upload accepted (bytes); enforced while the body streams in
    max_upload_bytes: int = Limits().max_file_bytes
    #: the longest an upload may take to arrive (seconds)
    upload_seconds: float = 15 * 60
    #: the reader's limits, per upload (``max_seconds`` is the deadline of one read)
    max_seconds: float = Limits().max_seconds
    #: protection password of the feedback copies (the one the templates were made with)
    password: str | None = None
    #: mark the session cookie Secure (behind an HTTPS proxy)
    secure_cookies: bool = False
    office_token: str = field(default="", repr=False)

    @property
    def database(self) -> str:
        return self.db_url or f"sqlite:///{(self.root / DB_NAME).resolve()}"

    @property
    def limits(self) -> Limits:
        return Limits(max_file_bytes=self.max_upload_bytes, max_seconds=self.max_seconds)

    def to_env(self) -> str:
        data = asdict(self)
        data["root"] = str(self.root)
        return json.dumps(data)

    @classmethod
    def from_env(cls) -> ServeConfig:
        data = json.loads(os.environ[ENV])
        data["root"] = Path(data["root"])
        return cls(**data)
