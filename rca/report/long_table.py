"""A long rich table printed as rich prints it, at a cost per row close to writing the row as text.

rich measures every cell of a table to lay it out, then renders each cell through its whole segment
pipeline: 25 CPU-s and 460 MB for the 35k rows of `rca events` on a 200k-entry flood, against ~4 s
for the events themselves. Column widths depend on two figures per cell only (its longest word and
its longest line, `Text.__rich_measure__`), so the few rows holding each column's largest figures
lay the table out exactly as all its rows would: rich prints the table of those rows (its title,
header and borders), and every row is then written at those widths, a cell that fits its column as
padded text, any other wrapped by rich's own `Text.wrap`. The rows of the sample are written both
ways and compared: if rich did anything this module does not expect, the whole table is printed by
rich after all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.box import Box
from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

# Below this many rows rich prints the table itself: its cost does not matter yet.
LAID_OUT_FROM = 200
PADDING = 1  # rich's default cell padding, left and right (Table(padding=(0, 1)))


def print_rows(new_table: Callable[[], Table], rows: Sequence[Sequence[str]], console: Console,
               laid_out_from: int = LAID_OUT_FROM) -> None:
    """The table `new_table` makes (columns and title set, no rows) with `rows` of plain text cells,
    as `console.print(table)` prints it once the rows are added (`Text(cell)` each)."""
    table = new_table()
    if len(rows) < laid_out_from or table.rows or not _expected_shape(table):
        _print_with_rich(table, rows, console)
        return
    sample = _deciding_rows(rows, len(table.columns))
    for index in sample:
        table.add_row(*(Text(cell) for cell in rows[index]))
    with console.capture() as capture:
        console.print(table)
    printed = capture.get().split("\n")
    layout = _Layout.read(table, console, printed)
    expected = [] if layout.widths is None else \
        [line for number, index in enumerate(sample) for line in layout.row_lines(rows[index], number == len(sample) - 1)]
    head_end = len(printed) - 2 - len(expected)  # the table ends with its bottom border and a newline
    if not expected or head_end < 0 or printed[head_end:-2] != expected:
        _print_with_rich(new_table(), rows, console)
        return
    out = console.file
    out.write("\n".join(printed[:head_end]) + "\n")
    last = len(rows) - 1
    for index, row in enumerate(rows):
        out.write("\n".join(layout.row_lines(row, index == last)) + "\n")
    out.write(printed[-2] + "\n")
    out.flush()


def _print_with_rich(table: Table, rows: Sequence[Sequence[str]], console: Console) -> None:
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)


def _expected_shape(table: Table) -> bool:
    """The table options this module renders as rich does; any other one leaves the table to rich."""
    return (table.box is not None and table.show_edge and table.show_header and not table.show_footer
            and not table.show_lines and not table.leading and tuple(table.padding) == (0, PADDING, 0, PADDING)
            and table.pad_edge and not table.collapse_padding and not table.row_styles and str(table.style or "none") == "none"
            and not table.border_style and not table.caption
            and all(column.vertical == "top" and not column.style for column in table.columns))


def _deciding_rows(rows: Sequence[Sequence[str]], columns: int) -> list[int]:
    """The rows (indexes, in order) that hold, for each column, its longest word and its longest
    line in terminal cells: what rich measures to choose the column widths."""
    best_word, best_line = [-1] * columns, [-1] * columns
    where: set[int] = set()
    word_at, line_at = [0] * columns, [0] * columns
    for index, row in enumerate(rows):
        for column, cell in enumerate(row):
            word, line = _measure(cell)
            if word > best_word[column]:
                best_word[column], word_at[column] = word, index
            if line > best_line[column]:
                best_line[column], line_at[column] = line, index
    where.update(word_at, line_at)
    return sorted(where)


def _measure(cell: str) -> tuple[int, int]:
    """(longest word, longest line) in terminal cells, as `Text.__rich_measure__` measures them."""
    if cell.isascii() and cell.isprintable():  # one line, each character one cell wide
        return max(map(len, cell.split()), default=len(cell)), len(cell)
    lines = cell.splitlines()
    longest_line = max(map(cell_len, lines), default=0)
    return max(map(cell_len, cell.split()), default=longest_line), longest_line


class _Layout:
    """The column widths rich chose and its box characters: enough to write any row as rich would."""

    def __init__(self, table: Table, console: Console, box: Box, widths: list[int] | None):
        self.console, self.columns, self.box, self.widths = console, table.columns, box, widths

    @classmethod
    def read(cls, table: Table, console: Console, printed: list[str]) -> _Layout:
        """The widths read from the printed table's top border (`Box.get_top`)."""
        assert table.box is not None
        box = table.box.substitute(console.options, safe=console.safe_box if table.safe_box is None else table.safe_box)
        top = next((line for line in printed if line.startswith(box.top_left) and line.endswith(box.top_right)), None)
        widths = None if top is None else [len(part) for part in top[1:-1].split(box.top_divider)]
        if widths is not None and (len(widths) != len(table.columns) or top != box.get_top(widths)
                                   or min(widths) <= 2 * PADDING):  # a column squeezed to its padding: rich's
            widths = None
        return cls(table, console, box, widths)

    def row_lines(self, row: Sequence[str], last: bool) -> list[str]:
        """The lines of one body row; rich draws the last row with the box's foot characters."""
        assert self.widths is not None
        cells = [self._cell_lines(cell, column, width) for cell, column, width in zip(row, self.columns, self.widths)]
        height = max(map(len, cells))
        box = self.box
        left, divider, right = (box.foot_left, box.foot_vertical, box.foot_right) if last else \
            (box.mid_left, box.mid_vertical, box.mid_right)
        blank = [" " * width for width in self.widths]
        return [left + divider.join(cell[line] if line < len(cell) else blank[index] for index, cell in enumerate(cells))
                + right for line in range(height)]

    def _cell_lines(self, cell: str, column: Column, width: int) -> list[str]:
        inner = width - 2 * PADDING
        pad = " " * PADDING
        if len(cell) <= inner and cell.isascii() and cell.isprintable():  # fits as it is: no wrapping to do
            if column.justify in ("left", "default"):
                return [pad + cell.ljust(inner) + pad]
            if column.justify == "right":  # rich strips a right-justified line's trailing blanks
                return [pad + cell.rstrip().rjust(inner) + pad]
        wrapped = Text(cell).wrap(self.console, inner, justify=column.justify, overflow=column.overflow,
                                  no_wrap=column.no_wrap, tab_size=self.console.tab_size or 8)
        return [pad + set_cell_size(line.plain, inner) + pad for line in wrapped] or [" " * width]
