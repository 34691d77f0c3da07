"""Knowledge overrides: what officers decide on the staff pages after reviewing the questions
the bot could not answer.

    from knowledge.handkept.overrides import add_alias, add_faq, load_overrides, remove_override

    path = Path("var/knowledge-overrides.yaml")
    add_alias(path, ["làm thẻ thư viện", "lam the thu vien o dau"], "1.000426", "Nguyễn Văn An")
    add_faq(path, ["Trung tâm có chỗ gửi xe không?"], "Có, ở tầng hầm, miễn phí.", "Lê Thị Bình")
    load_overrides(path).faq[0].source   # Source(url='', title='the agency, by Lê Thị Bình', ...)
    remove_override(path, "alias-3f9a1c2e")

Two kinds of entry, each with who wrote it and when:
* `alias`: phrases citizens used → the code of the procedure they mean;
* `faq`: questions (the first is shown) → an answer written by the agency, optionally a link.

The file lives outside the committed knowledge (var/ by default) because it is the agency's
own, written while the bot runs. Every change is written to a temporary file and moved over
the old one (os.replace) under an exclusive lock, so a crash never leaves half a file and two
officers saving at once both keep their entry. A file broken by a hand edit is never
overwritten: reading it raises OverridesError naming the file, line and field, and the
running bot (knowledge/nlu/live_overrides.py) keeps the last good overrides.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.vocabulary import VIETNAM
from knowledge.handkept.model import FaqEntry, Source
from knowledge.handkept.schema import (
    MAX_FAQ_ANSWER_CHARS,
    SAFE_LOADER,
    FileProblems,
    Problem,
    check_duplicate_keys,
    kind_of,
    list_of,
    mapping,
    mapping_pairs,
    optional_text,
    text,
    url,
)

DEFAULT_PATH = Path("var/knowledge-overrides.yaml")
# Dates in the officer-written answers' source are the agency's dates.
MAX_PHRASE_CHARS = 300
MAX_PHRASES = 100
_CODE_RE = re.compile(r"^\d\.\d{6}$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_HEADER = """\
# Knowledge overrides, written by officers on the staff pages (knowledge review).
# The bot re-reads this file when it changes, without a restart. Hand edits are possible:
# a broken file is reported in the log (file and line) and the bot keeps the last good one.
#   alias: phrases citizens used -> the procedure they mean (its national code)
#   faq:   questions -> the agency's answer (optional link); `by` and `at` say who and when
"""


class OverridesError(Exception):
    """The overrides file cannot be used; `problems` name the file, line and field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"{len(self.problems)} problem(s) in the knowledge overrides:"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


class InvalidOverride(ValueError):
    """An override an officer asked for cannot be saved; the message says why."""


@dataclass(frozen=True)
class AliasOverride:
    """Phrases citizens used that mean the procedure `procedure` (a national code)."""

    id: str
    phrases: tuple[str, ...]
    procedure: str
    by: str
    at: str
    note: str = ""


@dataclass(frozen=True)
class FaqOverride:
    """A question (and other ways to ask it) with the agency's answer."""

    id: str
    questions: tuple[str, ...]
    answer: str
    by: str
    at: str
    link: str = ""

    @property
    def question(self) -> str:
        return self.questions[0]

    @property
    def source(self) -> Source:
        """The agency itself, by the officer, on the day: not a published page (unless a link
        was given, which is then what a citizen can open)."""
        return Source(self.link, f"the agency, by {self.by}", _agency_date(self.at))

    def as_faq_entry(self) -> FaqEntry:
        """The entry as the FAQ handler shows one from knowledge/yaml/faq.yaml."""
        return FaqEntry(id=self.id, question=self.question, examples=self.questions[1:],
                        answer=self.answer, source=self.source)


@dataclass(frozen=True)
class Overrides:
    aliases: tuple[AliasOverride, ...] = ()
    faq: tuple[FaqOverride, ...] = ()

    def __len__(self) -> int:
        return len(self.aliases) + len(self.faq)

    def get(self, override_id: str) -> AliasOverride | FaqOverride | None:
        return next((entry for entry in (*self.aliases, *self.faq) if entry.id == override_id),
                    None)


# --- reading ------------------------------------------------------------------------------


def load_overrides(path: Path | str = DEFAULT_PATH) -> Overrides:
    """The overrides in `path`; none when the file does not exist or is empty.

    Raises OverridesError listing every problem (file, line, field) when it is broken.
    """
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Overrides()
    except (OSError, UnicodeDecodeError) as error:
        raise OverridesError([Problem(str(path), 0, "", f"cannot be read: {error}")]) from None
    return parse_overrides(content, str(path))


def parse_overrides(content: str, display: str) -> Overrides:
    """The overrides in a file's text; `display` names the file in problems."""
    out = FileProblems(display)
    try:
        root = yaml.compose(content, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        reason = error.problem or error.context or "invalid YAML"
        if error.problem and error.context and error.context_mark is not None:
            # Where the unfinished thing began is usually where the mistake is.
            reason += f" ({error.context} at line {error.context_mark.line + 1})"
        raise OverridesError([Problem(display, line, "", f"YAML syntax error: {reason}")]) \
            from None
    except yaml.YAMLError as error:
        raise OverridesError([Problem(display, 0, "", f"YAML error: {error}")]) from None
    if root is None:
        return Overrides()
    check_duplicate_keys(root, "", out)
    overrides = _read_root(root, out)
    if out.problems:
        raise OverridesError(sorted(out.problems, key=lambda p: (p.line, p.field)))
    return overrides


def _override_id(node: Node, path: str, out: FileProblems) -> str | None:
    value = text(node, path, out)
    if value is not None and not _ID_RE.match(value):
        out.add(node, path, "must be lower-case letters, digits, '-' and '_' (e.g. 'faq-1a2b')")
        return None
    return value


def _procedure_code(node: Node, path: str, out: FileProblems) -> str | None:
    value = text(node, path, out) if not _is_number(node) else str(node.value)
    if value is not None and not _CODE_RE.match(value):
        out.add(node, path, f"'{value}' is not a procedure code like '1.004222' (in quotes)")
        return None
    return value


def _is_number(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:float"


def _moment(node: Node, path: str, out: FileProblems) -> str | None:
    """A date and time; unquoted ones (YAML timestamps) are fine too."""
    raw = node.value if isinstance(node, ScalarNode) and node.tag == _TIMESTAMP_TAG \
        else text(node, path, out)
    if raw is None:
        return None
    try:
        datetime.fromisoformat(str(raw))
    except ValueError:
        out.add(node, path, f"'{raw}' is not a date and time like 2026-03-12T09:30:00+07:00")
        return None
    return str(raw)


def _answer(node: Node, path: str, out: FileProblems) -> str | None:
    value = text(node, path, out)
    if value is not None and len(value) > MAX_FAQ_ANSWER_CHARS:
        out.add(node, path, f"is {len(value)} characters long; keep it to {MAX_FAQ_ANSWER_CHARS}")
    return value


_ALIAS = mapping({
    "id": (True, _override_id),
    "phrases": (True, list_of(text)),
    "procedure": (True, _procedure_code),
    "by": (True, text),
    "at": (True, _moment),
    "note": (False, optional_text),
})
_FAQ = mapping({
    "id": (True, _override_id),
    "questions": (True, list_of(text)),
    "answer": (True, _answer),
    "link": (False, url),
    "by": (True, text),
    "at": (True, _moment),
})


def _read_root(root: Node, out: FileProblems) -> Overrides:
    if not isinstance(root, MappingNode):
        out.add(root, "", f"the file must be a mapping with 'alias:' and 'faq:', "
                          f"got {kind_of(root)}")
        return Overrides()
    pairs = mapping_pairs(root)
    for name, (key_node, _value) in pairs.items():
        if name not in ("alias", "faq"):
            out.add(key_node, name, "unknown top-level key (known: alias, faq)")
    aliases = [_alias(entry) for entry in _entries(pairs, "alias", _ALIAS, out)]
    faq = [_faq(entry) for entry in _entries(pairs, "faq", _FAQ, out)]
    seen: dict[str, str] = {}
    for kind, entries in (("alias", aliases), ("faq", faq)):
        for index, entry in enumerate(entries):
            if entry.id in seen:
                node = pairs[kind][1].value[index]
                out.add(node, f"{kind}[{index}].id", f"duplicate id '{entry.id}' "
                                                     f"(also {seen[entry.id]})")
            seen.setdefault(entry.id, f"{kind}[{index}]")
    return Overrides(tuple(aliases), tuple(faq))


def _entries(pairs: dict[str, tuple[Node, Node]], key: str,
             check: Callable[[Node, str, FileProblems], dict | None],
             out: FileProblems) -> Iterator[dict]:
    """The complete entries of the list `key` (incomplete ones are problems, not entries)."""
    if key not in pairs:
        return
    node = pairs[key][1]
    if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return
    if not isinstance(node, SequenceNode):
        out.add(node, key, f"expected a list, got {kind_of(node)}")
        return
    for index, item in enumerate(node.value):
        before = len(out.problems)
        entry = check(item, f"{key}[{index}]", out)
        if entry is not None and len(out.problems) == before:
            yield entry


def _alias(entry: dict) -> AliasOverride:
    return AliasOverride(entry["id"], tuple(entry["phrases"]), entry["procedure"], entry["by"],
                         entry["at"], entry.get("note") or "")


def _faq(entry: dict) -> FaqOverride:
    return FaqOverride(entry["id"], tuple(entry["questions"]), entry["answer"], entry["by"],
                       entry["at"], entry.get("link") or "")


def _agency_date(moment: str) -> str:
    try:
        stamp = datetime.fromisoformat(moment)
    except ValueError:
        return moment[:10]
    if stamp.tzinfo is None:
        return stamp.date().isoformat()
    return stamp.astimezone(VIETNAM).date().isoformat()


# --- writing ------------------------------------------------------------------------------


def add_alias(path: Path | str, phrases: Iterable[str], procedure: str, officer: str, *,
              note: str = "", now: datetime | None = None,
              procedures: Container[str] | None = None) -> AliasOverride:
    """Save: these phrases mean the procedure `procedure`. Returns the entry saved.

    `procedures` (e.g. `knowledge.procedures`) checks that the code exists. Raises
    InvalidOverride for a wrong request, OverridesError when the file is broken (nothing is
    written then).
    """
    phrases = _clean_texts(phrases, "phrase")
    procedure = procedure.strip()
    if not _CODE_RE.match(procedure):
        raise InvalidOverride(f"'{procedure}' is not a procedure code like '1.004222'")
    if procedures is not None and procedure not in procedures:
        raise InvalidOverride(f"no procedure has the code {procedure}")
    officer = _officer(officer)
    with _editing(Path(path)) as (current, save):
        entry = AliasOverride(_new_id("alias", current), phrases, procedure, officer,
                              _stamp(now), note.strip())
        save(Overrides((*current.aliases, entry), current.faq))
    return entry


def add_faq(path: Path | str, questions: Iterable[str], answer: str, officer: str, *,
            link: str | None = None, now: datetime | None = None) -> FaqOverride:
    """Save an answer the agency writes to these questions (the first is the one shown).

    Raises InvalidOverride for a wrong request, OverridesError when the file is broken.
    """
    questions = _clean_texts(questions, "question")
    answer = (answer or "").strip()
    if not answer:
        raise InvalidOverride("the answer is empty")
    if len(answer) > MAX_FAQ_ANSWER_CHARS:
        raise InvalidOverride(f"the answer is {len(answer)} characters long; keep it to "
                              f"{MAX_FAQ_ANSWER_CHARS}")
    link = (link or "").strip()
    if link and (not link.startswith(("https://", "http://")) or any(c.isspace() for c in link)):
        raise InvalidOverride(f"the link '{link}' must be an address starting with https://")
    officer = _officer(officer)
    with _editing(Path(path)) as (current, save):
        entry = FaqOverride(_new_id("faq", current), questions, answer, officer, _stamp(now),
                            link)
        save(Overrides(current.aliases, (*current.faq, entry)))
    return entry


def list_overrides(path: Path | str = DEFAULT_PATH) -> Overrides:
    """Every override saved (raises OverridesError when the file is broken)."""
    return load_overrides(path)


def remove_override(path: Path | str, override_id: str) -> bool:
    """Remove one entry by its id; False when there is none with that id."""
    with _editing(Path(path)) as (current, save):
        if current.get(override_id) is None:
            return False
        save(Overrides(tuple(a for a in current.aliases if a.id != override_id),
                       tuple(f for f in current.faq if f.id != override_id)))
    return True


def _clean_texts(values: Iterable[str], what: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    cleaned: list[str] = []
    seen: set[str] = set()
    for value in values:
        value = " ".join(str(value).split())
        if not value or value.casefold() in seen:
            continue
        if len(value) > MAX_PHRASE_CHARS:
            raise InvalidOverride(f"the {what} '{value[:40]}…' is longer than "
                                  f"{MAX_PHRASE_CHARS} characters")
        seen.add(value.casefold())
        cleaned.append(value)
    if not cleaned:
        raise InvalidOverride(f"give at least one {what}")
    if len(cleaned) > MAX_PHRASES:
        raise InvalidOverride(f"at most {MAX_PHRASES} {what}s in one entry, not {len(cleaned)}")
    return tuple(cleaned)


def _officer(officer: str) -> str:
    officer = " ".join((officer or "").split())
    if not officer:
        raise InvalidOverride("say which officer writes this (by whom)")
    return officer


def _stamp(now: datetime | None) -> str:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _new_id(kind: str, current: Overrides) -> str:
    while True:
        candidate = f"{kind}-{secrets.token_hex(4)}"
        if current.get(candidate) is None:
            return candidate


@contextmanager
def _editing(path: Path) -> Iterator[tuple[Overrides, Callable[[Overrides], None]]]:
    """The current overrides and a function that saves new ones, under an exclusive lock so
    that two writers (two workers, two officers) never lose each other's entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            current = load_overrides(path)
            yield current, lambda overrides: _write_atomically(path, render(overrides))
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def render(overrides: Overrides) -> str:
    """The file's text for these overrides."""
    data = {
        "alias": [_without_empty({"id": a.id, "phrases": list(a.phrases),
                                  "procedure": a.procedure, "by": a.by, "at": a.at,
                                  "note": a.note}) for a in overrides.aliases],
        "faq": [_without_empty({"id": f.id, "questions": list(f.questions), "answer": f.answer,
                                "link": f.link, "by": f.by, "at": f.at}) for f in overrides.faq],
    }
    body = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=100)
    return _HEADER + body


def _without_empty(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if value not in ("", None)}


def _write_atomically(path: Path, content: str) -> None:
    """Write the whole file or nothing: a temporary file beside it, flushed to disk, then
    moved over it (atomic on POSIX), and the directory entry flushed too."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
    try:
        # mkstemp makes the file private; the bot's other processes must read it as before.
        os.fchmod(descriptor, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
