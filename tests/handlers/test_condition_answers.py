"""Conditions a line each, never half a condition (handlers/procedure_facts.condition_lines)."""

from __future__ import annotations

from handlers.procedures import FIRST_MESSAGE_CHARS, answer
from knowledge.base import Knowledge


def test_long_conditions_keep_whole_lines_and_say_the_rest_is_at_the_source(
        knowledge: Knowledge, t) -> None:
    checked = 0
    for code, record in sorted(knowledge.procedures.items()):
        raw = (record.get("conditions") or {}).get("raw") or ""
        if len(raw) < 700 or "\n" not in raw:
            continue
        listed = {" ".join(line.split()) for line in raw.splitlines() if line.strip()}
        text = answer(record, "conditions", t).text
        assert len(text) <= FIRST_MESSAGE_CHARS, code
        body = text.splitlines()[3:]
        assert body[-1] == t("proc.rest_at_source"), code
        # Every condition shown is one of the record's lines, whole (the first may be cut
        # when even it does not fit).
        for line in body[1:-1]:
            assert line in listed, (code, line[:60])
        checked += 1
    assert checked >= 40
