"""The importer and the catalog loader, run on the real fixture records."""

from __future__ import annotations

import gzip
import json
import shutil
import unicodedata
from pathlib import Path

import pytest

from knowledge.catalog import DEFAULT_PROCEDURES_PATH, load_procedures
from knowledge.importer import run as importer
from knowledge.importer.run import REPORT_NAME, ImportFormatError, ImportReport, import_records

FIXTURES = Path(__file__).parent / "fixtures" / "records.jsonl"


def fixture_lines() -> list[str]:
    return FIXTURES.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.fixture
def gz_source(tmp_path: Path) -> Path:
    """The fixture records gzipped, in reverse order, like the shared file."""
    source = tmp_path / "national-procedures.jsonl.gz"
    with gzip.open(source, "wt", encoding="utf-8") as out:
        out.writelines(reversed(fixture_lines()))
    return source


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_import_writes_every_record_sorted_by_code(gz_source, tmp_path):
    dest = tmp_path / "out" / "procedures.jsonl.gz"
    report = import_records(gz_source, dest)
    records = load_procedures(dest)
    codes = [record["code"] for record in records]
    assert len(records) == report.total == len(fixture_lines())
    assert codes == sorted(codes)
    assert report.failed == 0


def test_same_input_gives_byte_identical_output(gz_source, tmp_path):
    first = tmp_path / "a" / "procedures.jsonl.gz"
    second = tmp_path / "b" / "procedures.jsonl.gz"
    import_records(gz_source, first)
    import_records(gz_source, second)
    assert first.read_bytes() == second.read_bytes()
    assert (first.parent / REPORT_NAME).read_bytes() == (second.parent / REPORT_NAME).read_bytes()


def test_gzip_header_has_no_time_and_no_file_name(gz_source, tmp_path):
    dest = tmp_path / "procedures.jsonl.gz"
    import_records(gz_source, dest)
    header = dest.read_bytes()[:10]
    assert header[:2] == b"\x1f\x8b"
    assert header[3] & 0x08 == 0  # FNAME flag not set
    assert header[4:8] == b"\x00\x00\x00\x00"  # mtime 0


def test_lines_are_compact_sorted_json_with_readable_vietnamese(gz_source, tmp_path):
    dest = tmp_path / "procedures.jsonl.gz"
    import_records(gz_source, dest)
    first_line = gzip.decompress(dest.read_bytes()).decode("utf-8").splitlines()[0]
    record = json.loads(first_line)
    assert first_line == json.dumps(
        record, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    assert "Thủ tục" in first_line


def test_plain_jsonl_input_is_accepted(tmp_path):
    dest = tmp_path / "procedures.jsonl.gz"
    report = import_records(FIXTURES, dest)
    assert report.total == len(fixture_lines())


def test_report_counts_fully_parsed_fields(gz_source, tmp_path):
    report = import_records(gz_source, tmp_path / "procedures.jsonl.gz")
    records = load_procedures(tmp_path / "procedures.jsonl.gz")
    assert report.ok["results"] == sum(record["results"]["ok"] for record in records)
    assert report.ok["legal_basis"] == sum(record["legal_basis"]["ok"] for record in records)
    assert report.ok["levels"] == report.total
    assert set(report.ok) >= {
        "modes", "time", "fee", "documents", "results", "legal_basis", "steps", "levels",
        "agencies",
    }


def test_report_file_matches_to_dict(gz_source, tmp_path):
    report = import_records(gz_source, tmp_path / "procedures.jsonl.gz")
    written = json.loads((tmp_path / REPORT_NAME).read_text(encoding="utf-8"))
    assert written == report.to_dict()
    assert written["fields"]["levels"] == {
        "ok": report.total, "total": report.total, "percent": 100.0,
    }


def test_report_format_is_a_table():
    report = ImportReport()
    report.total = 4
    report.ok["modes"] = 3
    text = report.format()
    assert text.splitlines()[0].split() == ["field", "parsed", "fully", "of", "total", "percent"]
    assert "modes" in text and " 3 " in text and "75.0%" in text


def test_record_that_fails_to_parse_is_kept_and_counted(gz_source, tmp_path, monkeypatch):
    real_parse = importer.parse_record

    def parse_or_fail(raw):
        if raw["ma_thu_tuc"] == "1.004222":
            raise ValueError("boom")
        return real_parse(raw)

    monkeypatch.setattr(importer, "parse_record", parse_or_fail)
    dest = tmp_path / "procedures.jsonl.gz"
    report = import_records(gz_source, dest)
    failed = next(record for record in load_procedures(dest) if record["code"] == "1.004222")
    assert report.failed == 1
    assert report.total == len(fixture_lines())
    assert failed["parse_error"] == "ValueError: boom"
    assert failed["modes"]["ok"] is False
    assert failed["name"] == "Đăng ký thường trú"


def test_malformed_line_names_its_line_number(tmp_path):
    lines = fixture_lines()[:2] + ['{"ma_thu_tuc": "9.999999", \n']
    source = write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(ImportFormatError, match=r"line 3: not valid JSON"):
        import_records(source, tmp_path / "procedures.jsonl.gz")


def test_line_without_a_code_names_its_line_number(tmp_path):
    lines = fixture_lines()[:1] + ["\n", '{"ten_thu_tuc": "Không mã"}\n']
    source = write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(ImportFormatError, match=r"line 3: the record has no procedure code"):
        import_records(source, tmp_path / "procedures.jsonl.gz")


def test_repeated_code_is_an_error(tmp_path):
    lines = fixture_lines()[:1] * 2
    source = write_lines(tmp_path / "dup.jsonl", lines)
    with pytest.raises(ImportFormatError, match=r"line 2: code 1.000005 already on line 1"):
        import_records(source, tmp_path / "procedures.jsonl.gz")


def test_failed_import_leaves_no_output(tmp_path):
    source = write_lines(tmp_path / "bad.jsonl", ["not json\n"])
    dest = tmp_path / "out" / "procedures.jsonl.gz"
    with pytest.raises(ImportFormatError):
        import_records(source, dest)
    assert not dest.exists()


def test_load_procedures_reads_a_copied_file(gz_source, tmp_path):
    dest = tmp_path / "procedures.jsonl.gz"
    import_records(gz_source, dest)
    copy = tmp_path / "copy.jsonl.gz"
    shutil.copy(dest, copy)
    assert load_procedures(copy) == load_procedures(dest)


def test_load_procedures_names_a_bad_line(tmp_path):
    path = tmp_path / "broken.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"code": "1"}\n{oops\n'))
    with pytest.raises(ValueError, match=r"line 2"):
        load_procedures(path)


@pytest.mark.slow
def test_committed_knowledge_file_loads_with_the_agreed_shape():
    records = load_procedures()
    assert DEFAULT_PROCEDURES_PATH.name == "procedures.jsonl.gz"
    assert len(records) > 2000
    by_code = {record["code"]: record for record in records}
    record = by_code["1.004222"]
    assert record["modes"]["items"][0]["fee"]["amount"] == 10000
    assert {"raw", "ok", "items"} <= set(record["steps"])


def test_letters_written_with_combining_marks_are_composed(tmp_path):
    # The shared file writes some names as base letters and combining marks; one word of the
    # citizen's ("cấp") must be one word of the record's too.
    record = json.loads(fixture_lines()[0])
    record["ten_thu_tuc"] = unicodedata.normalize("NFD", "Cấp giấy phép môi trường")
    source = write_lines(tmp_path / "one.jsonl", [json.dumps(record) + "\n"])
    dest = tmp_path / "procedures.jsonl.gz"
    import_records(source, dest)
    (imported,) = load_procedures(dest)
    assert imported["name"] == unicodedata.normalize("NFC", "Cấp giấy phép môi trường")


@pytest.mark.slow
def test_committed_knowledge_has_only_composed_names():
    assert all(unicodedata.is_normalized("NFC", record["name"]) for record in load_procedures())
