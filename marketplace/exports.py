"""The award register as files: CSV and a spreadsheet (XLSX), written as streams of chunks.

One row per award and member allocation. The columns, in order, with their headers:

==============================  =============================================================
Header                          Value
==============================  =============================================================
Contract ID                     the contract's id
Awarded at                      when the award was made (ISO 8601, UTC)
Contract status                 awaiting_signature, active, terminated or cancelled
Solicitation ID                 the solicitation awarded (empty for a direct purchase)
Consortium ID                   the buying consortium (empty for a district buying alone)
Consortium                      its name
Lead district ID                the lead (fiscal) district
District ID                     the member district of this row
District                        its name
State                           its state
Provider ID                     the awarded provider
Provider                        its legal name
Procurement method              direct_purchase, request_for_quotes, competitive_proposals,
                                sealed_bids or noncompetitive
Method rationale                why this method
Noncompetitive justification    the allowed case and its explanation ("case: explanation")
Contract type                   firm_fixed_price, fixed_unit_price or time_and_materials
Selection reason                why the provider was selected
Rejection reasons               why each other offeror was rejected ("provider: reason; ..."),
                                by provider name, or provider id when the name is unknown
Basis of price                  the basis of the contract price
Cost or price analysis          the recorded analysis (required above the simplified
                                acquisition threshold)
List unit price                 the provider's list unit price, USD
Unit price                      the contract unit price, USD
Seats                           this district's allocation
Cost share                      what this district pays, USD (the shares of a contract sum to
                                its value)
Contract value                  the contract's total value, USD
Term start                      ISO date
Term end                        ISO date (after amendments and renewals)
Joined at                       when this district became a party (the award, or later joining)
Signed at                       when the provider signed (ISO 8601, UTC)
End reason                      why the contract was terminated or the award cancelled
==============================  =============================================================

Money is a decimal string ("1234.50") in CSV and a number with two decimals in the spreadsheet;
term dates are ISO dates in CSV and date cells in the spreadsheet; timestamps are ISO 8601 text.

CSV is RFC 4180 (comma, double quotes, CRLF), UTF-8 without a byte-order mark. A text cell that
a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is prefixed with a single quote in CSV, so that opening the file never runs
what an offeror typed; the spreadsheet writes text cells as text, so it needs no prefix.

Nothing here holds more than one chunk of output or one row of input at a time: rows are pulled
from an iterator, CSV is yielded every ``CHUNK_SIZE`` characters, and the spreadsheet is built
with XlsxWriter's ``constant_memory`` mode in a temporary file, then read back in chunks.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from operator import attrgetter
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator

from xlsxwriter import Workbook

from events.plain import iso_utc

CHUNK_SIZE = 64 * 1024
XLSX_MAX_ROWS = 1_048_576  # per worksheet, the header row included
SHEET_NAME = "Award register"

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_FILENAME = "award-register.csv"
XLSX_FILENAME = "award-register.xlsx"

# Kinds of value, which decide how a cell is written.
TEXT, MONEY, INTEGER, DATE, TIMESTAMP = "text", "money", "integer", "date", "timestamp"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str
    source: str  # the register row's attribute
    convert: Callable[[Any], Any] | None = None  # applied to a value that is not None
    width: int = 18


def _money(cents: Any) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def rejections_text(rejections: Any) -> str:
    """``provider name: reason; ...``, naming the provider by id when its name is unknown."""
    parts = []
    for rejection in rejections or ():
        who = (
            rejection.get("provider_name")
            or rejection.get("provider_id")
            or rejection.get("proposal_id")
            or "unknown"
        )
        reason = (rejection.get("reason") or "").strip()
        parts.append(f"{who}: {reason}" if reason else str(who))
    return "; ".join(parts)


def justification_text(justification: Any) -> str | None:
    """``case: explanation`` of a noncompetitive justification (or a micro-purchase note)."""
    if not justification:
        return None
    case = justification.get("case") or ""
    explanation = (justification.get("explanation") or "").strip()
    return f"{case}: {explanation}" if explanation else case


COLUMNS: tuple[Column, ...] = (
    Column("contract_id", "Contract ID", TEXT, "contract_id", str, 38),
    Column("awarded_at", "Awarded at", TIMESTAMP, "awarded_at", iso_utc, 34),
    Column("status", "Contract status", TEXT, "status", None, 20),
    Column("solicitation_id", "Solicitation ID", TEXT, "solicitation_id", str, 38),
    Column("consortium_id", "Consortium ID", TEXT, "consortium_id", str, 38),
    Column("consortium_name", "Consortium", TEXT, "consortium_name", None, 32),
    Column("lead_district_id", "Lead district ID", TEXT, "lead_district_id", str, 38),
    Column("district_id", "District ID", TEXT, "district_id", str, 38),
    Column("district_name", "District", TEXT, "district_name", None, 32),
    Column("district_state", "State", TEXT, "district_state", None, 8),
    Column("provider_id", "Provider ID", TEXT, "provider_id", str, 38),
    Column("provider_name", "Provider", TEXT, "provider_name", None, 32),
    Column("method", "Procurement method", TEXT, "method", None, 24),
    Column("method_rationale", "Method rationale", TEXT, "method_rationale", None, 48),
    Column(
        "justification", "Noncompetitive justification", TEXT, "justification", justification_text, 48
    ),
    Column("contract_type", "Contract type", TEXT, "contract_type", None, 20),
    Column("selection_reason", "Selection reason", TEXT, "selection_reason", None, 48),
    Column("rejections", "Rejection reasons", TEXT, "rejections", rejections_text, 60),
    Column("price_basis", "Basis of price", TEXT, "price_basis", None, 48),
    Column("cost_price_analysis", "Cost or price analysis", TEXT, "cost_price_analysis", None, 48),
    Column("list_unit_price", "List unit price", MONEY, "list_unit_price_cents", _money),
    Column("unit_price", "Unit price", MONEY, "unit_price_cents", _money),
    Column("seats", "Seats", INTEGER, "seats", None, 10),
    Column("amount", "Cost share", MONEY, "amount_cents", _money),
    Column("total_value", "Contract value", MONEY, "total_value_cents", _money),
    Column("term_start", "Term start", DATE, "term_start", None, 12),
    Column("term_end", "Term end", DATE, "term_end", None, 12),
    Column("joined_at", "Joined at", TIMESTAMP, "joined_at", iso_utc, 34),
    Column("signed_at", "Signed at", TIMESTAMP, "signed_at", iso_utc, 34),
    Column("end_reason", "End reason", TEXT, "end_reason", None, 48),
)
HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)

_SOURCES = attrgetter(*(column.source for column in COLUMNS))
_CONVERTERS = tuple(column.convert for column in COLUMNS)


def typed_values(row: Any) -> list[Any]:
    """A register row's cells as values: str, int, Decimal (money), date, or None when empty."""
    return [
        value if convert is None or value is None else convert(value)
        for convert, value in zip(_CONVERTERS, _SOURCES(row))
    ]


# CSV ----------------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == DATE:
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == TEXT:
        text = str(value)
        return "'" + text if text.startswith(_FORMULA_STARTS) else text
    return str(value)


def csv_values(row: Any) -> list[str]:
    return [_csv_cell(column.kind, value) for column, value in zip(COLUMNS, typed_values(row))]


def csv_chunks(rows: Iterable[Any], chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The CSV text, header first, in chunks of about ``chunk_size`` characters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(csv_values(row))
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# XLSX ---------------------------------------------------------------------------------------


class _Sheets:
    """Worksheets of the workbook, a new one whenever a sheet is full."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self.header = workbook.add_format({"bold": True, "bottom": 1})
        self.money = workbook.add_format({"num_format": "#,##0.00"})
        self.day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.count = 0
        self.sheet: Any = None
        self.row = 0

    def _new_sheet(self) -> None:
        self._finish()
        self.count += 1
        name = SHEET_NAME if self.count == 1 else f"{SHEET_NAME} ({self.count})"
        self.sheet = self.workbook.add_worksheet(name)
        for index, column in enumerate(COLUMNS):
            self.sheet.set_column(index, index, column.width)
        self.sheet.freeze_panes(1, 0)
        for index, header in enumerate(HEADERS):
            self.sheet.write_string(0, index, header, self.header)
        self.row = 1

    def _finish(self) -> None:
        if self.sheet is not None:
            self.sheet.autofilter(0, 0, max(self.row - 1, 0), len(COLUMNS) - 1)

    def start(self) -> None:
        self._new_sheet()

    def write(self, values: list[Any]) -> None:
        if self.row >= XLSX_MAX_ROWS:
            self._new_sheet()
        sheet, row = self.sheet, self.row
        for index, (column, value) in enumerate(zip(COLUMNS, values)):
            if value is None or value == "":
                continue
            if column.kind == MONEY:
                sheet.write_number(row, index, float(value), self.money)
            elif column.kind == INTEGER:
                sheet.write_number(row, index, int(value))
            elif column.kind == DATE and isinstance(value, date):
                sheet.write_datetime(row, index, value, self.day)
            else:
                sheet.write_string(row, index, str(value))
        self.row += 1

    def finish(self) -> None:
        self._finish()


def write_xlsx(rows: Iterable[Any], path: str) -> None:
    """Write the spreadsheet to ``path``, one row at a time (``constant_memory``)."""
    workbook = Workbook(path, {"constant_memory": True})
    sheets = _Sheets(workbook)
    sheets.start()
    for row in rows:
        sheets.write(typed_values(row))
    sheets.finish()
    workbook.close()  # assembles the file; not reached (no half-written file) if reading fails


def xlsx_chunks(rows: Iterable[Any], chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The spreadsheet's bytes in chunks: built in a temporary file, which is removed once read
    (or when the consumer stops early)."""
    handle, path = tempfile.mkstemp(prefix="award-register-", suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(rows, path)
        with open(path, "rb") as built:
            while chunk := built.read(chunk_size):
                yield chunk
    finally:
        os.unlink(path)
