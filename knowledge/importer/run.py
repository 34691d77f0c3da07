"""Import the national procedure records into ``knowledge/data``.

``import_records`` reads the raw .jsonl(.gz), parses every record, and writes
a gzip JSON-lines file sorted by code plus ``import-report.json`` beside it.
Both outputs are byte-for-byte reproducible: same input, same bytes (sorted
keys, fixed separators, gzip header without time or file name).
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.importer.record import KNOWN_LEVELS, parse_record, unparsed_record

REPORT_NAME = "import-report.json"
_GZIP_MAGIC = b"\x1f\x8b"


class ImportFormatError(ValueError):
    """The input file is not the expected JSON lines; names the line."""


def _all_ok(key: str) -> Callable[[Mapping], bool]:
    """Every mode row's ``key`` ("time" or "fee") was read with confidence."""

    def check(record: Mapping) -> bool:
        items = record["modes"]["items"]
        return bool(items) and all(item[key]["ok"] for item in items)

    return check


# How "parsed fully" is judged for each reported field.
FIELD_CHECKS: dict[str, Callable[[Mapping], bool]] = {
    "modes": lambda record: record["modes"]["ok"],
    "time": _all_ok("time"),
    "fee": _all_ok("fee"),
    "documents": lambda record: record["documents"]["ok"],
    "steps": lambda record: record["steps"]["ok"],
    "results": lambda record: record["results"]["ok"],
    "legal_basis": lambda record: record["legal_basis"]["ok"],
    "levels": lambda record: bool(record["levels"])
    and all(level in KNOWN_LEVELS for level in record["levels"]),
    "agencies": lambda record: bool(
        record["agencies"]["executing"] or record["agencies"]["competent"]
    ),
}


@dataclass
class ImportReport:
    """How many records were imported and how many of each field parsed fully."""

    total: int = 0
    failed: int = 0  # records whose parsing raised; kept with every field ok=false
    ok: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELD_CHECKS, 0))

    def count(self, record: Mapping, failed: bool = False) -> None:
        self.total += 1
        self.failed += int(failed)
        for name, check in FIELD_CHECKS.items():
            if not failed and check(record):
                self.ok[name] += 1

    def percent(self, name: str) -> float:
        return round(100 * self.ok[name] / self.total, 1) if self.total else 0.0

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "failed": self.failed,
            "fields": {
                name: {"ok": self.ok[name], "total": self.total, "percent": self.percent(name)}
                for name in FIELD_CHECKS
            },
        }

    def format(self) -> str:
        """A plain-text table: field, parsed fully, of total, percent."""
        header = f"{'field':<12} {'parsed fully':>12} {'of total':>9} {'percent':>8}"
        lines = [header, "-" * len(header)]
        for name in FIELD_CHECKS:
            lines.append(
                f"{name:<12} {self.ok[name]:>12} {self.total:>9} {self.percent(name):>7.1f}%"
            )
        lines.append("-" * len(header))
        lines.append(f"{self.total} records, {self.failed} could not be parsed at all")
        return "\n".join(lines)


def import_records(source: Path, dest: Path) -> ImportReport:
    """Parse every record of ``source`` into ``dest``; write the report beside it.

    Raises ImportFormatError (a ValueError) naming the line if a line is not a
    JSON object with a "ma_thu_tuc" code, or if a code repeats.
    """
    report = ImportReport()
    records = []
    seen: dict[str, int] = {}
    for line_number, raw in read_raw_records(Path(source)):
        code = raw["ma_thu_tuc"]
        if code in seen:
            raise ImportFormatError(
                f"{source}, line {line_number}: code {code} already on line {seen[code]}"
            )
        seen[code] = line_number
        record, failed = parse_safely(raw)
        report.count(record, failed)
        records.append(record)
    records.sort(key=lambda record: record["code"])
    dest = Path(dest)
    write_records(records, dest)
    write_report(report, dest.with_name(REPORT_NAME))
    return report


def parse_safely(raw: Mapping) -> tuple[dict, bool]:
    """Parse one record; on any error keep it unparsed instead of stopping."""
    try:
        return parse_record(raw), False
    except Exception as error:  # one bad record must not stop the import
        return unparsed_record(raw, f"{type(error).__name__}: {error}"), True


def read_raw_records(source: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, record) for each non-blank line of .jsonl or .jsonl.gz."""
    with source.open("rb") as probe:
        compressed = probe.read(2) == _GZIP_MAGIC
    opener = gzip.open if compressed else open
    with opener(source, "rt", encoding="utf-8") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            yield line_number, decode_line(source, line_number, line)


def decode_line(source: Path, line_number: int, line: str) -> dict:
    """Decode one JSON line, or raise an error that names the line."""
    where = f"{source}, line {line_number}"
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as error:
        raise ImportFormatError(f"{where}: not valid JSON ({error.msg})") from error
    if not isinstance(raw, dict):
        raise ImportFormatError(f"{where}: expected a JSON object, got {type(raw).__name__}")
    code = raw.get("ma_thu_tuc")
    if not isinstance(code, str) or not code.strip():
        raise ImportFormatError(f"{where}: the record has no procedure code (ma_thu_tuc)")
    raw["ma_thu_tuc"] = code.strip()
    return composed(raw)


def composed(value):
    """Every string in NFC. About one record in five writes some letters as a base and a
    combining mark ("Cấp" as "Câ" + U+0301); word matching would split such words in two, so
    "cấp giấy phép môi trường" could not find its own record."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {key: composed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [composed(item) for item in value]
    return value


def encode_record(record: Mapping) -> str:
    """One compact, key-sorted JSON line (Vietnamese kept readable)."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def write_records(records: list[dict], dest: Path) -> None:
    """Write gzip JSON lines with a fixed header so equal input gives equal bytes."""
    payload = "".join(encode_record(record) + "\n" for record in records).encode("utf-8")

    def write(handle) -> None:
        # No file name and mtime=0 in the gzip header: reproducible output.
        with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0, compresslevel=9) as gz:
            gz.write(payload)

    write_atomically(dest, write)


def write_report(report: ImportReport, path: Path) -> None:
    text = json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    write_atomically(path, lambda handle: handle.write(text.encode("utf-8")))


def write_atomically(path: Path, write: Callable) -> None:
    """Write through a temporary file so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; this is a data file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
