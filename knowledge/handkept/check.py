"""Every problem in the hand-kept knowledge, file by file, each with its file and line:

    problems = check_knowledge(KNOWLEDGE_DIR)      # [] when all is well
    python -m bot kb check                         # the same, from the command line

The rules of each file are in `schema`, the entries' in `entries` (declared with their types)
and the holidays' in `holidays`, beside their loader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from yaml.nodes import Node

from knowledge.handkept import entries, schema
from knowledge.handkept.holidays import check_holidays

CHECKS: dict[str, Callable[[Node, schema.FileProblems], None]] = {
    schema.CONTACTS_FILE: entries.check_contacts,
    schema.GUIDES_FILE: entries.check_guides,
    schema.FAQ_FILE: entries.check_faq,
    schema.ALIASES_FILE: entries.check_aliases,
    schema.INTENTS_FILE: entries.check_intents,
    schema.TEXTS_FILE: schema.check_texts,
    schema.HOLIDAYS_FILE: check_holidays,
}


def check_file(root: Path, relative: str) -> list[schema.Problem]:
    """Problems of one hand-kept file (`relative` is one of schema.HANDKEPT_FILES)."""
    out = schema.FileProblems(f"{root.name}/{relative}")
    node = schema.compose(root / relative, out)
    if node is not None:
        CHECKS[relative](node, out)
    return sorted(out.problems, key=lambda p: (p.line, p.field))


def check_knowledge(root: Path) -> list[schema.Problem]:
    """Every problem in the hand-kept knowledge under `root`; empty when all is well."""
    problems: list[schema.Problem] = []
    for relative in schema.HANDKEPT_FILES:
        problems.extend(check_file(root, relative))
    return problems
