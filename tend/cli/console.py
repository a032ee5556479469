"""Printing for the `tend` command: aligned tables (Chinese characters take two columns) and
errors in the one shape every door uses."""

import sys
import unicodedata

from tend.core.errors import TendError


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def print_table(headers: list[str], rows: list[list], *, file=None) -> None:
    file = file or sys.stdout
    cells = [[str(value) for value in row] for row in rows]
    widths = [
        max([display_width(str(header))] + [display_width(row[i]) for row in cells])
        for i, header in enumerate(headers)
    ]
    lines = [[str(header) for header in headers], ["-" * width for width in widths], *cells]
    for line in lines:
        print("  ".join(pad(cell, widths[i]) for i, cell in enumerate(line)).rstrip(), file=file)


def print_error(error: TendError, *, file=None) -> None:
    file = file or sys.stderr
    print(str(error.message), file=file)
    for field_name, messages in error.field_errors.items():
        for message in messages:
            print(f"  {field_name}: {message}", file=file)


class ProgressLine:
    """A progress bar redrawn in place on a terminal; on a pipe, a line now and then."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.interactive = stream.isatty()
        self.last_percent = -1

    def show(self, done: int, total: int, detail: str = "") -> None:
        percent = 100 if not total else min(100, done * 100 // total)
        if not self.interactive and percent // 10 == self.last_percent // 10:
            return
        self.last_percent = percent
        filled = self.WIDTH * percent // 100
        bar = "█" * filled + "·" * (self.WIDTH - filled)
        line = f"{bar} {percent:3d}%  {done:,}/{total:,}  {detail}"
        if self.interactive:
            self.stream.write("\r" + line + "\033[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.interactive and self.last_percent >= 0:
            self.stream.write("\n")
            self.stream.flush()
