"""``python -m xltargets``: the same as the ``xltargets`` command."""

from .cli import app

app(prog_name="xltargets")
