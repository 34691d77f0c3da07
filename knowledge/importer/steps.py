"""Parse ``trinh_tu_thuc_hien``: the steps to follow.

Most records number their steps "Bước 1:", "Bước 2." … (sometimes after a
bullet, sometimes mid-line: "Nộp hồ sơ Bước 1: …").  Sub-points ("- ", "+ ",
"a)") stay inside their step.  Records without numbered steps are split into
their lines, which keeps the source's order and wording.
"""

from __future__ import annotations

import re

from knowledge.importer.common import clean

# "Bước 3:" at a line start (after an optional bullet), or anywhere when a
# separator follows the number ("… hồ sơ Bước 1: …").
_STEP_MARK = re.compile(
    r"(?:(?<=\n)|^)[ \t]*[-+*•]?[ \t]*Bước[ \t]*(\d{1,2})\b"
    r"|Bước[ \t]*(\d{1,2})[ \t]*[:.)–-]",
    re.MULTILINE,
)


def parse_steps(text: object) -> dict:
    """Split the steps text into ordered step texts."""
    raw = clean(text)
    if raw is None:
        return {"raw": None, "ok": False, "items": []}
    marks = numbered_marks(raw)
    if marks:
        return {"raw": raw, "ok": True, "items": split_at(raw, marks)}
    items = [line for line in (squash(part) for part in raw.splitlines()) if line]
    # Without "Bước N" we still keep the text, but cannot tell steps from
    # sub-points, unless the text is a single paragraph.
    ok = not re.search(r"Bước\s*\d", raw) and len(items) >= 1 and all_top_level(items)
    return {"raw": raw, "ok": ok, "items": items}


def numbered_marks(raw: str) -> list[int]:
    """Offsets of "Bước 1", "Bước 2", … in order; [] unless they run 1..n.

    A "Bước N" with an unexpected number is a reference ("quay lại Bước 2")
    and is skipped; if step 1 is missing or a number repeats, the text is not
    reliably numbered and [] is returned.
    """
    starts = []
    expected = 1
    for match in _STEP_MARK.finditer(raw):
        number = int(match.group(1) or match.group(2))
        if number == expected:
            starts.append(match.start())
            expected += 1
    if len(starts) < 2:
        return []
    return starts


def split_at(raw: str, starts: list[int]) -> list[str]:
    """Cut ``raw`` at the step marks; text before step 1 becomes its own item."""
    items = []
    preamble = squash(raw[: starts[0]])
    if preamble:
        items.append(preamble)
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(raw)
        step = squash(raw[start:end]).lstrip("-+*• ")
        if step:
            items.append(step)
    return items


def all_top_level(lines: list[str]) -> bool:
    """True if no line is an indented sub-point ("+ …", "a) …", "- " under "-")."""
    bullets = {line[:2] for line in lines if line[:1] in "-+*•"}
    return len(bullets) <= 1 and not any(re.match(r"[a-zđ]\)", line) for line in lines)


def squash(text: str) -> str:
    """Collapse spaces and drop blank lines, keeping the step's line breaks."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
