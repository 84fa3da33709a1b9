"""Receiving one uploaded file: the multipart body parsed as it streams in.

The size limit is counted on the bytes as they arrive, so an upload over the limit is refused
after the limit, not after the whole body (a declared ``Content-Length`` over the limit is
refused before reading anything). The file part goes straight to disk and through SHA-256; the
client's file name is kept only as text to show (never a path). A few small text fields (the
office's CSRF token) are kept in memory, bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from ._store import Incoming

#: the multipart framing around the file (boundaries, part headers, a few small fields)
OVERHEAD = 64 * 1024
#: the longest an upload may take to arrive: a slow line gets minutes, a stalled client not forever
UPLOAD_SECONDS = 15 * 60
MAX_FIELDS = 8
MAX_FIELD_BYTES = 1024
FILE_FIELD = "file"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


class UploadRefused(Exception):
    """The request is not an acceptable upload: ``status`` (HTTP), ``code``, Chinese message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def too_large(limit: int) -> UploadRefused:
    return UploadRefused(413, "too_large",
                         f"文件过大：上限为 {limit // 2**20} MB，已停止接收，请检查是否选错了文件")


@dataclass
class Received:
    part: Path
    sha256: str
    size: int
    client_name: str
    fields: dict[str, str] = field(default_factory=dict)


def display_name(raw: bytes) -> str:
    """The browser's file name as text to show: its last component, no control characters."""
    text = raw.decode("utf-8", "replace")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub("", text).strip()[:200] or "未命名文件"


class _Parser:
    def __init__(self, out: IO[bytes], limit: int) -> None:
        self.out, self.limit = out, limit
        self.hash = hashlib.sha256()
        self.size = 0
        self.fields: dict[str, str] = {}
        self.client_name = ""
        self.files = 0
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._kind = ""  # "file", "field" or "skip"
        self._name = ""
        self._value = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.part_begin, "on_part_data": self.part_data,
            "on_part_end": self.part_end, "on_header_field": self.header_field,
            "on_header_value": self.header_value, "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
        }

    def part_begin(self) -> None:
        self._headers, self._kind, self._name, self._value = {}, "skip", "", bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if name == FILE_FIELD and b"filename" in params:
            self.files += 1
            if self.files > 1:
                raise UploadRefused(400, "several_files", "一次只能上传一个文件")
            self._kind = "file"
            self.client_name = display_name(params[b"filename"])
        elif name and b"filename" not in params and len(self.fields) < MAX_FIELDS:
            self._kind, self._name = "field", name

    def part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._kind == "file":
            self.size += len(chunk)
            if self.size > self.limit:
                raise too_large(self.limit)
            self.hash.update(chunk)
            self.out.write(chunk)
        elif self._kind == "field":
            if len(self._value) + len(chunk) > MAX_FIELD_BYTES:
                raise UploadRefused(400, "field_too_long", "表单内容过长")
            self._value += chunk

    def part_end(self) -> None:
        if self._kind == "field":
            self.fields[self._name] = self._value.decode("utf-8", "replace")
        self._kind = "skip"


async def receive(request: Request, incoming: Incoming, limit: int,
                  seconds: float = UPLOAD_SECONDS) -> Received:
    """Stream the request's multipart body into a part file of ``incoming``. Raises
    :class:`UploadRefused`; on any failure nothing is left on disk."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise UploadRefused(400, "not_multipart",
                            "请通过上传表单提交文件（multipart/form-data，文件字段名为 file）")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + OVERHEAD:
        raise too_large(limit)
    part, out = incoming.new_part()
    try:
        parser = _Parser(out, limit)
        multipart = MultipartParser(boundary, parser.callbacks())  # type: ignore[arg-type]
        received = 0
        try:
            async with asyncio.timeout(seconds):
                async for chunk in request.stream():
                    received += len(chunk)
                    if received > limit + OVERHEAD:
                        raise too_large(limit)
                    multipart.write(chunk)
            multipart.finalize()
        except TimeoutError:
            raise UploadRefused(408, "upload_timeout",
                                f"上传超时（超过 {seconds / 60:g} 分钟），请检查网络后重新上传") from None
        except ClientDisconnect:
            raise UploadRefused(400, "disconnected", "上传中断，请重新上传") from None
        except UploadRefused:
            raise
        except Exception as exc:  # python-multipart's MultipartParseError and alike
            raise UploadRefused(400, "bad_multipart", "上传的表单格式有误，请重新上传") from exc
        if parser.files == 0:
            raise UploadRefused(400, "no_file", "没有收到文件：请先选择填好的表格再上传")
        if parser.size == 0:
            raise UploadRefused(400, "empty_file", "收到的文件是空的（0 字节），请检查后重新上传")
        out.flush()
        await run_in_threadpool(os.fsync, out.fileno())  # not on the event loop: it can take a while
        out.close()
        return Received(part, parser.hash.hexdigest(), parser.size, parser.client_name,
                        parser.fields)
    except BaseException:
        out.close()
        with contextlib.suppress(OSError):
            part.unlink()
        raise
