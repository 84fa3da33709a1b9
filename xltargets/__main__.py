"""``python -m xltargets``: the same as the ``xltargets`` command."""

from .cli import run

run()
