"""What every bench script ends its results with: the command that made them and the machine, then the
results printed and written (unless --no-write)."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def footer(command: str) -> list[str]:
    """The closing lines of a results file: the command, the machine and the date."""
    return [
        "",
        f"Command: `{command}`. Machine: {os.cpu_count()} logical CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}; {time.strftime('%Y-%m-%d')}.",
        "",
    ]


def finish(lines: list[str], output: Path, *, write: bool, show: bool = True) -> None:
    """Print the results and write them to `output` when asked."""
    text = "\n".join(lines)
    if show:
        print(text)
    if write:
        output.write_text(text, encoding="utf-8")
