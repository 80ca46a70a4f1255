"""Check an uploaded .xlsx as a zip before a spreadsheet library opens it: sizes, ratio, XML, formulas, links."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from app.domain.errors import N_, FileRejected, Problem

MB = 1024 * 1024
MAX_PROBLEMS = 200  # formula cells named one by one; beyond this they are counted
_CHUNK = 64 * 1024

_CONTENT_TYPES = "[Content_Types].xml"
_WORKBOOK_TYPES = (  # in the order openpyxl looks for them
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
)
_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_EXTERNAL_LINK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
_CONNECTIONS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml"
_XML_SUFFIXES = (".xml", ".rels")  # parts read as XML (VML drawings are not well-formed by design: only sized)
_OTHER_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
_CELL_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7})")
# `[1]Sheet1!A1` as stored, or `'C:\dir\[book.xlsx]Sheet1'!A1` / `[book.xlsx]Sheet1!A1` as typed.
_OTHER_WORKBOOK = re.compile(r"\[(\d+|[^\[\]]*\.(xl[a-z]*|csv|et|ods))\]", re.IGNORECASE)

NOT_XLSX = N_("This is not an Excel (.xlsx) file.")
TOO_MANY_ROWS = N_("The file has more than %(limit)s rows.")
TOO_MANY_MEMBERS = N_("The file holds %(count)s parts; at most %(limit)s are accepted.")
MEMBER_TOO_BIG = N_("Part %(part)s of the file unpacks to %(size)s MB; at most %(limit)s MB is accepted.")
TOTAL_TOO_BIG = N_("The file unpacks to more than %(limit)s MB, the most that is accepted.")
RATIO_TOO_HIGH = N_(
    "Part %(part)s of the file is compressed %(ratio)s to 1; at most %(limit)s to 1 is accepted "
    "(a file built to exhaust the server?)."
)
SHARED_STRINGS_TOO_BIG = N_(
    "The workbook's shared text (%(part)s) unpacks to %(size)s MB; at most %(limit)s MB is accepted."
)
TOO_MANY_STRINGS = N_("The workbook's shared text holds more than %(limit)s entries.")
TOO_MANY_CELLS = N_(
    "The sheet has more than %(limit)s cells (empty formatted cells count too); "
    "delete the unused rows and columns and upload again."
)
TOO_MANY_ELEMENTS = N_(
    "Beyond its sheets, the file holds more than %(limit)s XML elements (reached in part %(part)s), "
    "far more than an Excel file needs."
)
SIZE_MISMATCH = N_(
    "The file is damaged: part %(part)s does not unpack to the size and checksum it declares. "
    "Open it in Excel, save it again and upload the new file."
)
MALFORMED_XML = N_(
    "The file is damaged: part %(part)s is not well-formed XML (line %(line)s). "
    "Open it in Excel, save it again and upload the new file."
)
DTD_REFUSED = N_("The file is damaged: part %(part)s declares a DTD or XML entities, which Excel files never do.")
BAD_REFERENCE = N_("The file is damaged: part %(part)s has a cell reference “%(ref)s” that is not valid.")
MISSING_TEXT = N_(
    "The file is damaged: cell %(cell)s refers to shared text no. %(index)s, which the file does not hold."
)
NO_SHEET = N_("The workbook has no worksheet.")
FORMULA = N_("Cell %(cell)s is a formula (=%(formula)s); computed values are not imported. Type the value itself.")
FORMULA_NO_TEXT = N_("Cell %(cell)s is a formula; computed values are not imported. Type the value itself.")
FORMULA_OTHER_WORKBOOK = N_(
    "Cell %(cell)s is a formula that refers to another workbook (=%(formula)s); "
    "links to other files are not imported. Type the value itself."
)
MORE_FORMULAS = N_("%(count)s more cells are formulas.")
EXTERNAL_LINK = N_(
    "The workbook links to another file (%(target)s); links to other files are not imported. "
    "In Excel: Data → Edit Links → Break Link, save and upload again."
)
CONNECTIONS = N_(
    "The workbook pulls data through an external connection; such data is not imported. "
    "Remove the connection (Data → Queries & Connections), save and upload again."
)


class UnsafeWorkbook(FileRejected):
    """An .xlsx refused before it was opened: too big unpacked, damaged, or holding formulas or links."""


@dataclass(frozen=True)
class XlsxLimits:
    """How much an uploaded .xlsx may unpack to; sizes are of the unpacked parts, in bytes."""

    max_members: int = 500
    max_member_bytes: int = 16 * MB
    max_total_bytes: int = 32 * MB
    max_shared_strings_bytes: int = 8 * MB
    max_ratio: int = 100
    ratio_floor_bytes: int = 1 * MB  # smaller parts may compress at any ratio
    max_rows: int = 5000
    max_cells: int = 500_000
    max_elements: int = 100_000  # in the XML parts openpyxl loads whole (styles, workbook, …), all together

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> XlsxLimits:
        """The limits set by UPLOAD_XLSX_* settings; the defaults above for the rest."""
        names = {
            "max_members": "UPLOAD_XLSX_MAX_MEMBERS",
            "max_member_bytes": "UPLOAD_XLSX_MAX_MEMBER_BYTES",
            "max_total_bytes": "UPLOAD_XLSX_MAX_TOTAL_BYTES",
            "max_shared_strings_bytes": "UPLOAD_XLSX_MAX_SHARED_STRINGS_BYTES",
            "max_ratio": "UPLOAD_XLSX_MAX_RATIO",
            "max_rows": "UPLOAD_XLSX_MAX_ROWS",
            "max_cells": "UPLOAD_XLSX_MAX_CELLS",
            "max_elements": "UPLOAD_XLSX_MAX_ELEMENTS",
        }
        return cls(**{key: int(config[name]) for key, name in names.items() if config.get(name) is not None})


@dataclass(frozen=True)
class Inspection:
    """What the check learnt: the sheet to import (the first worksheet, as openpyxl orders them) and its size."""

    sheet_name: str
    sheet_part: str
    rows: int  # the last row number holding a value
    cells: int  # cell elements, empty ones included


def refuse(template: str, row: int | None = None, **params: Any) -> UnsafeWorkbook:
    """The refusal of a whole file for one reason."""
    return UnsafeWorkbook([Problem(row, None, template, **params)])


def inspect_xlsx(data: bytes, limits: XlsxLimits = XlsxLimits()) -> Inspection:
    """Check every part of the .xlsx in `data` within `limits`; UnsafeWorkbook says why it is refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise refuse(NOT_XLSX) from None
    with archive:
        infos = archive.infolist()
        _check_declared(infos, limits)
        return _Reader(archive, infos, limits).inspect()


def _mb(size: int) -> int:
    return -(-size // MB)  # rounded up: 1 byte over the limit must not print as the limit


def _check_declared(infos: list[zipfile.ZipInfo], limits: XlsxLimits) -> None:
    """Refuse on what the zip declares, before a byte is unpacked."""
    if len(infos) > limits.max_members:
        raise refuse(TOO_MANY_MEMBERS, count=len(infos), limit=limits.max_members)
    total = 0
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise refuse(NOT_XLSX)  # encrypted, or a method Excel never writes (LZMA may claim GBs of dictionary)
        if info.file_size > limits.max_member_bytes:
            raise refuse(
                MEMBER_TOO_BIG, part=info.filename, size=_mb(info.file_size), limit=_mb(limits.max_member_bytes)
            )
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise refuse(RATIO_TOO_HIGH, part=info.filename, ratio=ratio, limit=limits.max_ratio)
        total += info.file_size
    if total > limits.max_total_bytes:
        raise refuse(TOTAL_TOO_BIG, limit=_mb(limits.max_total_bytes))


class _Capped(io.RawIOBase):
    """A member's bytes as they unpack, stopped at its declared size and at the file's total budget."""

    def __init__(self, raw: IO[bytes], info: zipfile.ZipInfo, budget: _Budget) -> None:
        super().__init__()
        self.raw = raw
        self.info = info
        self.budget = budget
        self.seen = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = _CHUNK if size is None or size < 0 else min(size, _CHUNK)
        try:
            data = self.raw.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
            raise refuse(SIZE_MISMATCH, part=self.info.filename) from None
        self.seen += len(data)
        if self.seen > self.info.file_size:  # a header that lies about the size
            raise refuse(SIZE_MISMATCH, part=self.info.filename)
        self.budget.spend(len(data))
        if not data and self.seen != self.info.file_size:
            raise refuse(SIZE_MISMATCH, part=self.info.filename)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


@dataclass
class _Budget:
    limit: int
    spent: int = 0

    def spend(self, count: int) -> None:
        self.spent += count
        if self.spent > self.limit:
            raise refuse(TOTAL_TOO_BIG, limit=_mb(self.limit))


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attribute(attrib: dict[str, str], local_name: str) -> str | None:
    """An attribute by its local name, whatever its namespace (r:id, strict OOXML's namespaces)."""
    for key, value in attrib.items():
        if _local(key) == local_name:
            return value
    return None


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _WellFormed:
    """A parser target that keeps nothing: the parser only checks that the part is well-formed XML."""


@dataclass
class _Tally:
    """Elements of the parts openpyxl loads whole, all parts together."""

    limit: int
    count: int = 0


class _Counted:
    """A parser target counting elements: openpyxl builds an object of each in the parts it loads whole."""

    def __init__(self, part: str, tally: _Tally) -> None:
        self.part = part
        self.tally = tally

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.tally.count += 1
        if self.tally.count > self.tally.limit:
            raise refuse(TOO_MANY_ELEMENTS, part=self.part, limit=self.tally.limit)


class _Elements(_Counted):
    """A parser target that keeps the attributes of the elements named (small parts only)."""

    def __init__(self, part: str, tally: _Tally, *names: str) -> None:
        super().__init__(part, tally)
        self.names = names
        self.found: list[tuple[str, dict[str, str]]] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        super().start(tag, attrib)
        local = _local(tag)
        if local in self.names:
            self.found.append((local, attrib))


class _StringCount:
    """A parser target counting the entries of the shared-strings part."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag.endswith("}si") or tag == "si":
            self.count += 1
            if self.count > self.limit:
                raise refuse(TOO_MANY_STRINGS, limit=self.limit)


@dataclass
class _Relationship:
    type: str
    target: str
    external: bool


@dataclass
class _Cell:
    row: int
    column: int
    type: str
    formula: str | None = None
    is_formula: bool = False
    value: str | None = None
    inline: bool = False

    @property
    def ref(self) -> str:
        return f"{column_letters(self.column)}{self.row}"


class _SheetScan:
    """A parser target over the imported sheet: counts rows and cells, refuses formulas and missing texts."""

    def __init__(self, part: str, strings: int, limits: XlsxLimits) -> None:
        self.part = part
        self.strings = strings
        self.limits = limits
        self.row_number = self.column = self.last_row = self.cells = self.formulas = 0
        self.problems: list[Problem] = []
        self.cell: _Cell | None = None
        self.text: list[str] | None = None  # the text of the <f> or <v> being read

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        local = _local(tag)
        if local == "c":
            self.cells += 1
            if self.cells > self.limits.max_cells:
                raise refuse(TOO_MANY_CELLS, limit=self.limits.max_cells)
            row, self.column = self._position(attrib.get("r"))
            self.cell = _Cell(row, self.column, attrib.get("t") or "n")
        elif local == "row":
            self.row_number = self._row(attrib.get("r"))
            self.column = 0
        elif self.cell is not None:
            if local in ("f", "v"):
                self.text = []
                self.cell.is_formula = self.cell.is_formula or local == "f"
            elif local == "is":
                self.cell.inline = True

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, tag: str) -> None:
        cell = self.cell
        if cell is None:
            return
        local = _local(tag)
        if local == "f":
            cell.formula = "".join(self.text or ())
        elif local == "v":
            cell.value = "".join(self.text or ()) or None  # an empty <v/> is no value, as openpyxl reads it
        elif local == "c":
            self._cell_done(cell)
            self.cell = None
        self.text = None

    def _cell_done(self, cell: _Cell) -> None:
        if cell.is_formula:
            self.formulas += 1
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(formula_problem(cell.row, cell.ref, cell.formula))
            return
        if cell.value is None and not cell.inline:
            return
        if cell.type == "s" and cell.value is not None:
            index = cell.value.strip()
            if not index.isdigit() or int(index) >= self.strings:
                raise refuse(MISSING_TEXT, cell.row, cell=cell.ref, index=index[:20])
        self.last_row = max(self.last_row, cell.row)
        if self.last_row > self.limits.max_rows:
            raise refuse(TOO_MANY_ROWS, limit=self.limits.max_rows)

    def _row(self, text: str | None) -> int:
        if text is None:
            return self.row_number + 1
        if not text.isdigit() or not 0 < int(text) <= 1_048_576:
            raise refuse(BAD_REFERENCE, part=self.part, ref=text[:20])
        return int(text)

    def _position(self, ref: str | None) -> tuple[int, int]:
        if ref is None:
            return self.row_number, self.column + 1
        match = _CELL_REF.fullmatch(ref)
        if not match or not 0 < _column_number(match[1]) <= 16_384 or not 0 < int(match[2]) <= 1_048_576:
            raise refuse(BAD_REFERENCE, part=self.part, ref=ref[:20])
        return int(match[2]), _column_number(match[1])

    def close(self) -> None:
        if self.formulas > len(self.problems):
            self.problems.append(Problem(None, None, MORE_FORMULAS, count=self.formulas - len(self.problems)))
        if self.problems:
            raise UnsafeWorkbook(self.problems)


@dataclass
class _Reader:
    """Unpacks each part once, within the limits, parsing the XML parts with defusedxml."""

    archive: zipfile.ZipFile
    infos: list[zipfile.ZipInfo]
    limits: XlsxLimits
    budget: _Budget = field(init=False)
    tally: _Tally = field(init=False)
    done: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.budget = _Budget(self.limits.max_total_bytes)
        self.tally = _Tally(self.limits.max_elements)
        self.by_name = {info.filename: info for info in self.infos}  # the last of duplicates, as zipfile opens

    def inspect(self) -> Inspection:
        overrides, defaults = self._content_types()
        self._refuse_links(overrides)
        workbook = next((p for t in _WORKBOOK_TYPES for p, ct in overrides if ct == t), None)
        if workbook is None and set(defaults.values()) & set(_WORKBOOK_TYPES):
            workbook = "xl/workbook.xml"
        if workbook is None or workbook not in self.by_name:
            raise refuse(NOT_XLSX)
        shared = next((p for p, ct in overrides if ct == _SHARED_STRINGS_TYPE), None)
        strings = self._count_strings(shared) if shared in self.by_name else 0
        sheet_name, sheet_part, worksheets = self._first_sheet(workbook)
        scan = _SheetScan(sheet_part, strings, self.limits)
        self._parse(sheet_part, scan)
        # Other sheets openpyxl (read-only) never parses: checked as XML only. The rest it may load whole, some
        # by a fixed name (xl/styles.xml) whatever the relationships say: only xl/worksheets/*.xml is exempt.
        worksheets = {p for p in worksheets if _OTHER_SHEET.fullmatch(p)}
        for info in self.infos:
            if info.filename not in self.done:
                self._check_part(info, whole=info.filename not in worksheets)
        return Inspection(sheet_name, sheet_part, scan.last_row, scan.cells)

    # --- unpacking ------------------------------------------------------------------------------------

    def _open(self, name: str) -> _Capped:
        info = self.by_name[name]
        self.done.add(name)
        try:
            raw = self.archive.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError):
            raise refuse(NOT_XLSX) from None
        return _Capped(raw, info, self.budget)

    def _parse(self, name: str, target: object) -> None:
        """Feed a part as it unpacks to a defusedxml parser (no DTD, no entities) calling `target`."""
        parser = DefusedXMLParser(target=target, forbid_dtd=True)
        with self._open(name) as stream:
            try:
                while chunk := stream.read(_CHUNK):
                    parser.feed(chunk)
                parser.close()
            except ParseError as error:
                raise refuse(MALFORMED_XML, part=name, line=error.position[0]) from None
            except DefusedXmlException:
                raise refuse(DTD_REFUSED, part=name) from None

    def _check_part(self, info: zipfile.ZipInfo, whole: bool) -> None:
        if info.is_dir():
            return
        if info.filename.lower().endswith(_XML_SUFFIXES):
            target = _Counted(info.filename, self.tally) if whole else _WellFormed()
            self._parse(info.filename, target)
            return
        with self._open(info.filename) as stream:
            while stream.read(_CHUNK):
                pass

    # --- the parts that matter ------------------------------------------------------------------------

    def _content_types(self) -> tuple[list[tuple[str, str]], dict[str, str]]:
        if _CONTENT_TYPES not in self.by_name:
            raise refuse(NOT_XLSX)
        elements = _Elements(_CONTENT_TYPES, self.tally, "Override", "Default")
        self._parse(_CONTENT_TYPES, elements)
        overrides: list[tuple[str, str]] = []
        defaults: dict[str, str] = {}
        for tag, attrib in elements.found:
            if tag == "Override":
                overrides.append(((attrib.get("PartName") or "").lstrip("/"), attrib.get("ContentType") or ""))
            else:
                defaults[(attrib.get("Extension") or "").lower()] = attrib.get("ContentType") or ""
        return overrides, defaults

    def _refuse_links(self, overrides: list[tuple[str, str]]) -> None:
        names = [i.filename for i in self.infos]
        links = [p for p, ct in overrides if ct == _EXTERNAL_LINK_TYPE]
        links += [n for n in names if n.lower().startswith("xl/externallinks/") and n.lower().endswith(".xml")]
        if links:
            raise refuse(EXTERNAL_LINK, target=self._link_target(links[0]))
        if any(ct == _CONNECTIONS_TYPE for _, ct in overrides) or "xl/connections.xml" in {n.lower() for n in names}:
            raise refuse(CONNECTIONS)

    def _link_target(self, part: str) -> str:
        """The file an externalLink part points to, as its relationships name it (else the part's name)."""
        rels = self._relationships(part)
        targets = [r.target for r in rels.values() if r.type.endswith("/externalLinkPath") or r.external]
        return targets[0] if targets else part

    def _relationships(self, part: str) -> dict[str, _Relationship]:
        """The relationships of a part by id, targets made absolute within the zip as openpyxl does."""
        folder, base = posixpath.split(part)
        rels_path = posixpath.join(folder, "_rels", f"{base}.rels")
        if rels_path not in self.by_name:
            return {}
        elements = _Elements(rels_path, self.tally, "Relationship")
        self._parse(rels_path, elements)
        found: dict[str, _Relationship] = {}
        for _, attrib in elements.found:
            target = attrib.get("Target") or ""
            external = (attrib.get("TargetMode") or "").lower() == "external"
            if not external:
                target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[attrib.get("Id") or ""] = _Relationship(attrib.get("Type") or "", target, external)
        return found

    def _first_sheet(self, workbook: str) -> tuple[str, str, set[str]]:
        """The name and part of the sheet openpyxl lists first, and the parts of all worksheets."""
        rels = self._relationships(workbook)
        for rel in rels.values():
            if rel.type.endswith("/externalLink"):
                raise refuse(EXTERNAL_LINK, target=rel.target)
        worksheets = {r.target for r in rels.values() if r.type.endswith("/worksheet") and not r.external}
        elements = _Elements(workbook, self.tally, "sheet")
        self._parse(workbook, elements)
        for _, attrib in elements.found:
            rel = rels.get(_attribute(attrib, "id") or "")
            if rel and not rel.external and rel.target in self.by_name and "chartsheet" not in rel.type:
                return attrib.get("name") or "", rel.target, worksheets
        raise refuse(NO_SHEET)

    def _count_strings(self, part: str) -> int:
        info = self.by_name[part]
        if info.file_size > self.limits.max_shared_strings_bytes:
            raise refuse(
                SHARED_STRINGS_TOO_BIG,
                part=part,
                size=_mb(info.file_size),
                limit=_mb(self.limits.max_shared_strings_bytes),
            )
        count = _StringCount(self.limits.max_cells)
        self._parse(part, count)
        return count.count


def formula_problem(row: int, ref: str, formula: str | None) -> Problem:
    """The refusal of one formula cell, naming the cell and (shortened) the formula."""
    text = (formula or "").strip().removeprefix("=")
    shown = text if len(text) <= 60 else text[:57] + "…"
    if _OTHER_WORKBOOK.search(text):
        return Problem(row, None, FORMULA_OTHER_WORKBOOK, cell=ref, formula=shown)
    if not text:
        return Problem(row, None, FORMULA_NO_TEXT, cell=ref)
    return Problem(row, None, FORMULA, cell=ref, formula=shown)
