"""Every table of the statistics pages as CSV (semicolon-separated, as German spreadsheets
open it) and as an Excel workbook (openpyxl), with the settings it was computed with."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font


@dataclass(frozen=True)
class Table:
    """A table as the pages show it: a title, its columns (key, heading), its rows."""

    name: str  # the file name of the export
    title: str
    columns: Sequence[tuple[str, str]]
    rows: Sequence[dict[str, Any]]
    notes: Sequence[str] = field(default_factory=tuple)  # definitions used, one per line


def _cell(value: Any) -> Any:
    return "" if value is None else value


def to_csv(table: Table) -> bytes:
    """The table as CSV: UTF-8 with a byte-order mark, `;` between cells, `.` decimals."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([heading for _, heading in table.columns])
    for row in table.rows:
        writer.writerow([_cell(row.get(key)) for key, _ in table.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """The table as one worksheet, headings bold and frozen, the notes on a second sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:31] or "Tabelle"
    sheet.append([heading for _, heading in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in table.rows:
        sheet.append([row.get(key) for key, _ in table.columns])
    for index, (_, heading) in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, min(40, len(heading) + 2))
    if table.notes:
        notes = book.create_sheet("Definition")
        for line in table.notes:
            notes.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
