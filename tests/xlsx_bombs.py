"""Crafted .xlsx files for the upload tests: gigabytes unpacked, built in a few MB without writing them anywhere."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

MB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"

Pieces = list[tuple[bytes, int]]  # (bytes, how many times in a row)


@dataclass
class Part:
    """One zip member: its text as repeated pieces, and optionally a size header that lies."""

    name: str
    pieces: Pieces
    declared_size: int | None = None

    @classmethod
    def text(cls, name: str, text: str) -> Part:
        return cls(name, [(text.encode(), 1)])


def _block(data: bytes) -> bytes:
    # A fresh compressor flushed to a byte boundary: such blocks concatenate into one valid deflate stream,
    # so a 1 MB piece is compressed once however many times it repeats.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def deflate(pieces: Pieces) -> tuple[bytes, int, int]:
    """(raw deflate stream, CRC-32, unpacked size) of the pieces, never holding them unpacked."""
    blocks, crc, size = [], 0, 0
    for data, times in pieces:
        blocks.append(_block(data) * times)
        for _ in range(times):
            crc = zlib.crc32(data, crc)
        size += len(data) * times
    blocks.append(zlib.compressobj(9, zlib.DEFLATED, -15).flush())  # the final, empty block
    return b"".join(blocks), crc, size


def zip_bytes(parts: list[Part]) -> bytes:
    """A zip of the parts, written by hand so that sizes in the headers can lie."""
    out = io.BytesIO()
    central = []
    for part in parts:
        data, crc, size = deflate(part.pieces)
        declared = size if part.declared_size is None else part.declared_size
        name = part.name.encode()
        offset = out.tell()
        local = (0x04034B50, 20, 0x800, 8, 0, 0x21, crc, len(data), declared, len(name), 0)
        out.write(struct.pack("<IHHHHHIIIHH", *local))
        out.write(name + data)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                *(0x02014B50, 20, 20, 0x800, 8, 0, 0x21, crc, len(data), declared, len(name), 0, 0, 0, 0, 0, offset),
            )
            + name
        )
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


@dataclass
class Workbook:
    """A minimal workbook that openpyxl reads, its first sheet's rows given as XML pieces."""

    rows: Pieces
    shared_strings: Pieces | None = None
    sheet_declared_size: int | None = None
    extra_parts: list[Part] = field(default_factory=list)
    extra_types: list[tuple[str, str]] = field(default_factory=list)  # (part name, content type)
    extra_relationships: list[tuple[str, str, str]] = field(default_factory=list)  # (type, target, mode)
    sheet_prefix: str = ""  # e.g. a DTD before the root element
    more_sheets: list[tuple[str, str]] = field(default_factory=list)  # (name, target): parts in extra_parts
    extra_styles: Pieces = field(default_factory=list)  # more <xf/> after the first

    def build(self) -> bytes:
        types = [
            ("xl/workbook.xml", f"{CT_MAIN}.sheet.main+xml"),
            ("xl/worksheets/sheet1.xml", f"{CT_MAIN}.worksheet+xml"),
            ("xl/styles.xml", f"{CT_MAIN}.styles+xml"),
        ]
        relationships = [
            (f"{REL}/worksheet", "worksheets/sheet1.xml", ""),
            (f"{REL}/styles", "styles.xml", ""),
        ]
        parts = []
        if self.shared_strings is not None:
            types.append(("xl/sharedStrings.xml", f"{CT_MAIN}.sharedStrings+xml"))
            relationships.append((f"{REL}/sharedStrings", "sharedStrings.xml", ""))
            head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
            parts.append(Part("xl/sharedStrings.xml", [(head, 1), *self.shared_strings, (b"</sst>", 1)]))
        types += self.extra_types
        relationships += self.extra_relationships
        sheets = '<sheet name="事项" sheetId="1" r:id="rId1"/>'
        for n, (name, target) in enumerate(self.more_sheets, 2):
            relationships.append((f"{REL}/worksheet", target, ""))
            sheets += f'<sheet name="{name}" sheetId="{n}" r:id="rId{len(relationships)}"/>'
        overrides = "".join(f'<Override PartName="/{name}" ContentType="{ct}"/>' for name, ct in types)
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="{t}" Target="{target}"{f" TargetMode={mode!r}" if mode else ""}/>'
            for n, (t, target, mode) in enumerate(relationships, 1)
        )
        head = f'{self.sheet_prefix}<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData>'.encode()
        sheet = Part("xl/worksheets/sheet1.xml", [(head, 1), *self.rows, (b"</sheetData></worksheet>", 1)])
        sheet.declared_size = self.sheet_declared_size
        return zip_bytes(
            [
                Part.text(
                    "[Content_Types].xml",
                    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                    '<Default Extension="xml" ContentType="application/xml"/>'
                    f"{overrides}</Types>",
                ),
                Part.text(
                    "_rels/.rels",
                    f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
                    f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
                ),
                Part.text(
                    "xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>'
                ),
                Part.text("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG_REL}">{rels}</Relationships>'),
                Part(
                    "xl/styles.xml",
                    [
                        (
                            f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>'
                            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
                            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
                            '<cellXfs><xf xfId="0"/>'.encode(),
                            1,
                        ),
                        *self.extra_styles,
                        (
                            b'</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
                            b"</cellStyles></styleSheet>",
                            1,
                        ),
                    ],
                ),
                sheet,
                *parts,
                *self.extra_parts,
            ]
        )


def row(number: int, *cells: str) -> str:
    """A row of cells given as XML (see `text` and `formula`)."""
    return f'<row r="{number}">{"".join(cells)}</row>'


def text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def number(ref: str, value: int) -> str:
    return f'<c r="{ref}"><v>{value}</v></c>'


def formula(ref: str, expression: str, cached: int) -> str:
    return f'<c r="{ref}"><f>{expression}</f><v>{cached}</v></c>'


HEADER = row(1, text("A1", "序号"), text("B1", "事项名称"), text("C1", "办理时限"))


def plain(rows: list[str]) -> Pieces:
    return [("".join(rows).encode(), 1)]


def repeated(unit: str, total_bytes: int) -> Pieces:
    """`unit` repeated to about `total_bytes`, in pieces of at most 1 MB."""
    chunk = unit.encode() * max(1, min(MB, total_bytes) // len(unit.encode()))
    return [(chunk, max(1, total_bytes // len(chunk)))]


def good_workbook() -> bytes:
    """A small, honest workbook: it reads, so the bombs below are refused for what they add."""
    return Workbook(plain([HEADER, row(2, number("A2", 1), text("B2", "取水许可审批"), number("C2", 20))])).build()


def huge_cell(size: int = 1024 * MB) -> bytes:
    """One text cell of `size` bytes (1 GB by default) in about a megabyte."""
    return Workbook(
        [(b'<row r="1"><c r="A1" t="inlineStr"><is><t>', 1), *repeated("A", size), (b"</t></is></c></row>", 1)]
    ).build()


def huge_shared_strings(size: int = 1024 * MB) -> bytes:
    """A shared-strings part of `size` bytes, and a cell pointing past its end (openpyxl's IndexError)."""
    return Workbook(
        plain([row(1, '<c r="A1" t="s"><v>0</v></c>', '<c r="B1" t="s"><v>5</v></c>')]),
        shared_strings=[(b"<si><t>", 1), *repeated("A", size), (b"</t></si>", 1)],
    ).build()


def many_rows(size: int = 600 * MB) -> bytes:
    """`size` bytes of rows (600 MB by default: 600,000 rows of 1 KB) in a file under 2 MB."""
    unit = '<row><c t="inlineStr"><is><t>取水许可审批</t></is></c><c><v>20</v></c></row>'
    unit += " " * (1024 - len(unit.encode()))  # blanks between rows are XML too, and compress better
    return Workbook(repeated(unit, size)).build()


def lying_size(size: int = 1024 * MB, declared: int = 4096) -> bytes:
    """A sheet of `size` bytes whose zip headers declare `declared` bytes."""
    return Workbook(
        [(b'<row r="1"><c r="A1" t="inlineStr"><is><t>', 1), *repeated("A", size), (b"</t></is></c></row>", 1)],
        sheet_declared_size=declared,
    ).build()


def many_parts(count: int = 2000) -> bytes:
    return Workbook(plain([HEADER]), extra_parts=[Part.text(f"xl/media/p{n}.txt", "x") for n in range(count)]).build()


def malformed() -> bytes:
    """A sheet whose second row does not close its cell."""
    return Workbook(plain([HEADER, '<row r="2"><c r="A2"><v>1</v></row>'])).build()


def billion_laughs() -> bytes:
    """A sheet declaring nested entities that would expand to gigabytes."""
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10))
    return Workbook(
        plain([row(1, '<c r="A1" t="inlineStr"><is><t>&a9;</t></is></c>')]),
        sheet_prefix=f"<!DOCTYPE worksheet [{entities}]>",
    ).build()


def with_formula() -> bytes:
    """A catalog-like sheet whose row 3 holds a formula with a cached value."""
    return Workbook(
        plain(
            [
                HEADER,
                row(2, number("A2", 1), text("B2", "取水许可审批"), number("C2", 20)),
                row(3, number("A3", 2), text("B3", "采矿许可"), formula("C3", "C2*2", 40)),
            ]
        )
    ).build()


def with_external_link() -> bytes:
    """A sheet taking a value from another workbook through an externalLink part."""
    link = f'<externalLink xmlns="{MAIN}" xmlns:r="{REL}"><externalBook r:id="rId1"/></externalLink>'
    link_rels = (
        f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/externalLinkPath" '
        'Target="file:///C:\\预算\\2026.xlsx" TargetMode="External"/></Relationships>'
    )
    return Workbook(
        plain([HEADER, row(2, number("A2", 1), text("B2", "取水许可审批"), formula("C2", "[1]Sheet1!A1", 20))]),
        extra_parts=[
            Part.text("xl/externalLinks/externalLink1.xml", link),
            Part.text("xl/externalLinks/_rels/externalLink1.xml.rels", link_rels),
        ],
        extra_types=[("xl/externalLinks/externalLink1.xml", f"{CT_MAIN}.externalLink+xml")],
        extra_relationships=[(f"{REL}/externalLink", "externalLinks/externalLink1.xml", "")],
    ).build()
