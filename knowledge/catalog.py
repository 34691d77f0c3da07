"""Load the imported procedure records (``knowledge/data/procedures.jsonl.gz``).

This runs at start-up, so it does the least possible: decompress once, split
lines, decode each with the C JSON decoder.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from knowledge.paths import DATA_DIR

DEFAULT_PROCEDURES_PATH = DATA_DIR / "procedures.jsonl.gz"


def load_procedures(path: Path | None = None) -> list[dict]:
    """The imported procedure records, sorted by code as the importer wrote them.

    Raises FileNotFoundError if the file is missing (run ``python -m bot kb
    import`` first) and ValueError naming the line if a line is not JSON.
    """
    source = Path(path) if path is not None else DEFAULT_PROCEDURES_PATH
    text = gzip.decompress(source.read_bytes()).decode("utf-8")
    decode = json.JSONDecoder().decode
    records = []
    # The importer writes one record per "\n"-terminated line, and JSON
    # escapes line breaks inside strings, so split("\n") is exact (and faster
    # than splitlines, which also looks for other break characters).
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line:
            continue
        try:
            records.append(decode(line))
        except json.JSONDecodeError as error:
            where = f"{source}, line {line_number}"
            raise ValueError(f"{where}: not valid JSON ({error.msg})") from error
    return records
