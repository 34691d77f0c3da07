"""Menu topics, news topics and whole-message commands (knowledge/yaml/topics.yaml)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.handkept.schema import SAFE_LOADER
from knowledge.nlu.normalize import folded_words
from knowledge.paths import YAML_DIR

TOPICS_PATH = YAML_DIR / "topics.yaml"
COMMANDS = ("cancel", "back", "menu", "skip", "yes", "no", "resume", "delete_data")


@dataclass(frozen=True)
class Topic:
    id: str
    label: Mapping[str, str]
    procedures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topics:
    menu: tuple[Topic, ...]
    news: tuple[Topic, ...]
    commands: Mapping[str, frozenset[str]]

    def command(self, text: str) -> str | None:
        """The command a whole message is ("hủy", "quay lại"...), or None."""
        said = " ".join(folded_words(text))
        for name in ("cancel", "back", "menu", "skip", "no", "yes", "resume"):
            if said in self.commands[name]:
                return name
        return None

    def says_no(self, text: str) -> bool:
        """The whole message is a refusal ("không", "ko", "không đồng ý"); "không" is also
        a skip at an optional step, which `command` gives first."""
        return " ".join(folded_words(text)) in self.commands["no"]

    def asks_to_delete_data(self, text: str) -> bool:
        said = f" {' '.join(folded_words(text))} "
        return any(f" {phrase} " in said for phrase in self.commands["delete_data"])

    def menu_topic(self, topic_id: str) -> Topic | None:
        return next((topic for topic in self.menu if topic.id == topic_id), None)

    def news_topic(self, topic_id: str) -> Topic | None:
        return next((topic for topic in self.news if topic.id == topic_id), None)


def load_topics(known_codes: Collection[str], path: Path = TOPICS_PATH) -> Topics:
    """Reads topics.yaml; a ValueError names the file and what is wrong."""
    problems = check_topics(known_codes, path)
    if problems:
        raise ValueError("\n".join(problems))
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    return Topics(
        menu=tuple(Topic(t["id"], dict(t["label"]), tuple(t["procedures"]))
                   for t in data["topics"]),
        news=tuple(Topic(t["id"], dict(t["label"])) for t in data["news"]),
        commands={name: frozenset(" ".join(folded_words(p)) for p in data["commands"][name])
                  for name in COMMANDS},
    )


def check_topics(known_codes: Collection[str], path: Path = TOPICS_PATH) -> list[str]:
    """Every problem in topics.yaml, each naming the file and the entry."""
    where = f"{path}"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as error:
        return [f"{where}: cannot be read: {error}"]
    if not isinstance(data, dict):
        return [f"{where}: expected a mapping with topics, news and commands"]
    problems = []
    for section in ("topics", "news"):
        entries = data.get(section)
        if not isinstance(entries, list) or not entries:
            problems.append(f"{where}: {section}: missing or empty")
            continue
        seen: set[str] = set()
        for number, entry in enumerate(entries):
            label = f"{where}: {section}[{number}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                problems.append(f"{label}.id: missing")
                continue
            if entry["id"] in seen:
                problems.append(f"{label}.id: duplicate {entry['id']!r}")
            seen.add(entry["id"])
            names = entry.get("label")
            if not isinstance(names, dict) or not names.get("vi") or not names.get("en"):
                problems.append(f"{label}.label: needs vi and en")
            for code in entry.get("procedures", []) if section == "topics" else []:
                if code not in known_codes:
                    problems.append(f"{label}.procedures: unknown code {code!r}")
    commands = data.get("commands")
    if not isinstance(commands, dict):
        problems.append(f"{where}: commands: missing")
    else:
        for name in COMMANDS:
            phrases = commands.get(name)
            if not phrases:
                problems.append(f"{where}: commands.{name}: missing")
            elif not all(isinstance(phrase, str) for phrase in phrases):
                # YAML reads an unquoted yes/no/on/off as true/false.
                problems.append(f"{where}: commands.{name}: quote every phrase (yes, no...)")
    return problems


