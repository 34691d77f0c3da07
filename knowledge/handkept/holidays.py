"""Public holidays and make-up working days, read from knowledge/yaml/holidays.yaml.

    from knowledge.handkept.holidays import load_holidays

    holidays = load_holidays()              # validates first, raises KnowledgeError
    holidays.years                          # (2025, 2026): the years the file knows
    date(2026, 2, 16) in holidays.closed_days()          # True: Tết Bính Ngọ
    holidays.day_off(date(2026, 2, 16)).name             # "Tết Nguyên đán Bính Ngọ (…)"
    date(2026, 1, 10) in holidays.working_weekend_days()  # True: a Saturday worked instead

The file lists, per year, the `days_off` (a `date`, or a `from`–`to` break, both ends
included) and the `working_weekends` (Saturdays or Sundays declared working days). Every
entry names its `source`: an id from the top-level `sources:` table, or a list of ids. The
rules, checked here and by `python -m bot kb check`:

- dates are real YYYY-MM-DD dates and lie in the year they are listed under;
- `from` is not after `to`, and a break spans at most MAX_BREAK_DAYS days (a longer one is
  almost surely a typing error);
- a working weekend day is a Saturday or a Sunday, and not also a day off;
- no day is listed twice; the years follow each other without a gap, so that "known up to
  the end of the last year" means every year before it is known too;
- no field or key the format does not know.

Counting working days over these dates is bot/working_days.py's job.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from knowledge.handkept.schema import (
    HOLIDAYS_FILE,
    Checker,
    FileProblems,
    KnowledgeError,
    compose,
    is_null,
    joined,
    kind_of,
    mapping,
    mapping_pairs,
    slug,
    text,
    unknown_top_keys,
    url,
    value_node_of,
)
from knowledge.handkept.schema import date as date_field
from knowledge.paths import KNOWLEDGE_DIR

MAX_BREAK_DAYS = 14
TOP_KEYS = ("sources", "years")
YEAR_KEYS = ("days_off", "working_weekends")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class HolidaySource:
    """The document a date was read from, where, and when it was checked."""

    id: str
    title: str
    url: str
    checked: str


@dataclass(frozen=True)
class DayOff:
    """Agencies are closed from `first` to `last`, both included."""

    first: date
    last: date
    name: str
    sources: tuple[HolidaySource, ...]

    def days(self) -> Iterator[date]:
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)


@dataclass(frozen=True)
class WorkingWeekend:
    """A Saturday or Sunday declared a working day ("làm bù")."""

    day: date
    name: str
    sources: tuple[HolidaySource, ...]


@dataclass(frozen=True)
class Holidays:
    """What holidays.yaml says: closed days and worked weekend days for `years`."""

    years: tuple[int, ...]
    days_off: tuple[DayOff, ...]
    working_weekends: tuple[WorkingWeekend, ...]

    def closed_days(self) -> frozenset[date]:
        return frozenset(day for entry in self.days_off for day in entry.days())

    def working_weekend_days(self) -> frozenset[date]:
        return frozenset(entry.day for entry in self.working_weekends)

    def day_off(self, day: date) -> DayOff | None:
        """The entry that closes agencies on `day`, if any (to say why a date was skipped)."""
        return next((entry for entry in self.days_off if entry.first <= day <= entry.last), None)


def load_holidays(root: Path = KNOWLEDGE_DIR) -> Holidays:
    """Validate and load `root`/yaml/holidays.yaml; raise KnowledgeError naming every problem."""
    out = FileProblems(f"{root.name}/{HOLIDAYS_FILE}")
    node = compose(root / HOLIDAYS_FILE, out)
    holidays = check_holidays(node, out) if node is not None else None
    if out.problems or holidays is None:
        raise KnowledgeError(sorted(out.problems, key=lambda p: (p.line, p.field)))
    return holidays


def check_holidays(root: Node, out: FileProblems) -> Holidays:
    """Report every problem of the holidays file in `out`; return what could be read."""
    if not isinstance(root, MappingNode):
        out.add(root, "", f"the file must be a mapping with 'years:' at the top, got "
                f"{kind_of(root)}")
        return Holidays((), (), ())
    unknown_top_keys(root, TOP_KEYS, out)
    pairs = mapping_pairs(root)
    for key in TOP_KEYS:
        if key not in pairs:
            out.add(root, key, "missing")
    sources = _sources(pairs["sources"][1], out) if "sources" in pairs else {}
    if "years" not in pairs:
        return Holidays((), (), ())
    return _years(pairs["years"][1], sources, out)


# --- sources ------------------------------------------------------------------------------

_SOURCE = mapping(
    {"title": (True, text), "url": (False, url), "checked": (True, date_field)}
)


def _sources(node: Node, out: FileProblems) -> dict[str, HolidaySource]:
    if not isinstance(node, MappingNode):
        out.add(node, "sources", f"expected a mapping of source ids, got {kind_of(node)}")
        return {}
    sources = {}
    for key_node, value_node in node.value:
        path = f"sources.{key_node.value}"
        source_id = slug(key_node, path, out)
        fields = _SOURCE(value_node, path, out)
        if source_id is None or not fields:
            continue
        sources[source_id] = HolidaySource(
            source_id, fields.get("title") or "", fields.get("url") or "",
            fields.get("checked") or "",
        )
    return sources


def _source_ids(node: Node, path: str, out: FileProblems,
                sources: dict[str, HolidaySource]) -> tuple[HolidaySource, ...]:
    """`source: id` or `source: [id, id]`, every id from the `sources:` table."""
    items = [(path, node)]
    if isinstance(node, SequenceNode):
        if not node.value:
            out.add(node, path, "needs at least one source id")
        items = [(f"{path}[{i}]", item) for i, item in enumerate(node.value)]
    found = []
    for item_path, item in items:
        source_id = text(item, item_path, out)
        if source_id is None:
            continue
        if source_id not in sources:
            known = ", ".join(sources) or "none"
            out.add(item, item_path, f"unknown source '{source_id}' (known: {known})")
            continue
        found.append(sources[source_id])
    return tuple(found)


# --- years and their entries --------------------------------------------------------------


def _years(node: Node, sources: dict[str, HolidaySource], out: FileProblems) -> Holidays:
    if not isinstance(node, MappingNode):
        out.add(node, "years", f"expected a mapping of years, got {kind_of(node)}")
        return Holidays((), (), ())
    years: list[tuple[int, Node]] = []
    days_off: list[DayOff] = []
    working: list[WorkingWeekend] = []
    for key_node, value_node in node.value:
        path = f"years.{key_node.value}"
        year = _year(key_node, path, out)
        if year is None:
            continue
        years.append((year, key_node))
        if not isinstance(value_node, MappingNode):
            out.add(value_node, path, f"expected a mapping with 'days_off:', got "
                    f"{kind_of(value_node)}")
            continue
        entries = mapping_pairs(value_node)
        for name, (entry_key, _value) in entries.items():
            if name not in YEAR_KEYS:
                out.add(entry_key, joined(path, name),
                        f"unknown key (known: {', '.join(YEAR_KEYS)})")
        listed = _list(value_node, "days_off", path, out)
        if "days_off" not in entries:
            out.add(value_node, f"{path}.days_off", "missing")
        elif not listed and not _is_wrong_kind(entries["days_off"][1]):
            out.add(entries["days_off"][0], f"{path}.days_off",
                    "needs at least one entry (1/1, Tết Dương lịch, is a day off every year)")
        taken: dict[date, str] = {}
        for item_path, item in listed:
            entry = _day_off(item, item_path, year, sources, out)
            if entry is not None:
                _check_not_taken(list(entry.days()), taken, item, item_path, out)
                days_off.append(entry)
        for item_path, item in _list(value_node, "working_weekends", path, out):
            weekend = _working_weekend(item, item_path, year, sources, out)
            if weekend is not None:
                _check_not_taken([weekend.day], taken, item, item_path, out)
                working.append(weekend)
    _check_consecutive(years, out)
    known = tuple(sorted(year for year, _node in years))
    return Holidays(known, tuple(days_off), tuple(working))


def _year(node: Node, path: str, out: FileProblems) -> int | None:
    value = str(node.value) if isinstance(node, ScalarNode) else ""
    if len(value) != 4 or not value.isdigit():
        out.add(node, path, "a year must be written as four digits, e.g. 2026")
        return None
    return int(value)


def _is_wrong_kind(node: Node) -> bool:
    """Neither a list nor empty: _list reports it."""
    return not isinstance(node, SequenceNode) and not is_null(node)


def _list(node: MappingNode, key: str, path: str, out: FileProblems) -> list[tuple[str, Node]]:
    pair = mapping_pairs(node).get(key)
    if pair is None or is_null(pair[1]):
        return []
    items = pair[1]
    if not isinstance(items, SequenceNode):
        out.add(items, f"{path}.{key}", f"expected a list, got {kind_of(items)}")
        return []
    return [(f"{path}.{key}[{i}]", item) for i, item in enumerate(items.value)]


def _as_written(node: Node, path: str, out: FileProblems) -> Node:
    """Keeps the node; `source` is checked once the `sources:` table is known."""
    return node


def _entry_checker(date_fields: dict[str, bool]) -> Checker:
    return mapping(
        {
            **{name: (required, date_field) for name, required in date_fields.items()},
            "name": (True, text),
            "source": (True, _as_written),
        }
    )


_DAY_OFF = _entry_checker({"date": False, "from": False, "to": False})
_WORKING_WEEKEND = _entry_checker({"date": True})


def _day_off(node: Node, path: str, year: int, sources: dict[str, HolidaySource],
             out: FileProblems) -> DayOff | None:
    fields = _DAY_OFF(node, path, out)
    if not fields:
        return None
    refs = _source_ids(fields["source"], f"{path}.source", out, sources) \
        if "source" in fields else ()
    single, first, last = (_parsed(fields.get(name)) for name in ("date", "from", "to"))
    if single and (first or last):
        out.add(node, path, "give either 'date' or 'from' and 'to', not both")
        return None
    if single:
        first = last = single
    elif not (first and last):
        if any(name in fields for name in ("date", "from", "to")) and not (first or last):
            return None  # a date was written but is wrong; that is reported already
        missing = "to" if first else "from" if last else "date"
        out.add(node, f"{path}.{missing}", "missing (a day off needs 'date', or 'from' and 'to')")
        return None
    for name, day in (("date", single), ("from", first), ("to", last)):
        if name in fields and day is not None and day.year != year:
            out.add(value_node_of(node, name), f"{path}.{name}",
                    f"{day} is not in {year}, the year it is listed under")
            return None
    if first > last:
        out.add(value_node_of(node, "to"), f"{path}.to",
                f"{last} is before 'from' ({first}); 'from' is the first day of the break")
        return None
    length = (last - first).days + 1
    if length > MAX_BREAK_DAYS:
        out.add(value_node_of(node, "to"), f"{path}.to",
                f"a break of {length} days ({first} to {last}); at most {MAX_BREAK_DAYS} "
                "are expected, check the dates")
        return None
    if not refs or fields.get("name") is None:
        return None
    return DayOff(first, last, fields["name"], refs)


def _working_weekend(node: Node, path: str, year: int, sources: dict[str, HolidaySource],
                     out: FileProblems) -> WorkingWeekend | None:
    fields = _WORKING_WEEKEND(node, path, out)
    if not fields:
        return None
    refs = _source_ids(fields["source"], f"{path}.source", out, sources) \
        if "source" in fields else ()
    day = _parsed(fields.get("date"))
    if day is None:
        return None  # missing or not a date: reported already
    date_node = value_node_of(node, "date")
    if day.year != year:
        out.add(date_node, f"{path}.date", f"{day} is not in {year}, the year it is listed under")
        return None
    if day.weekday() < 5:
        out.add(date_node, f"{path}.date",
                f"{day} is a {WEEKDAY_NAMES[day.weekday()]}; only a Saturday or Sunday can be "
                "declared a working day")
        return None
    if not refs or fields.get("name") is None:
        return None
    return WorkingWeekend(day, fields["name"], refs)


def _parsed(value: object) -> date | None:
    """The date the field checker accepted; None when absent, empty or already reported."""
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _check_not_taken(days: list[date], taken: dict[date, str], node: Node, path: str,
                     out: FileProblems) -> None:
    """Report a day listed by an earlier entry of the same year; remember these days."""
    for day in days:
        if day in taken:
            out.add(node, path, f"{day} is already listed at {taken[day]}")
            return
    taken.update((day, path) for day in days)


def _check_consecutive(years: list[tuple[int, Node]], out: FileProblems) -> None:
    ordered = sorted(years)
    for (before, _node), (year, node) in zip(ordered, ordered[1:], strict=False):
        if year > before + 1:
            gap = ", ".join(str(y) for y in range(before + 1, year))
            out.add(node, f"years.{year}",
                    f"the years must follow each other: {gap} missing between {before} and "
                    f"{year}")
