"""Assembles the citizen evaluation set from the writers' files and splits it in two halves.

The questions were written from the national records alone (eval/README.md says how); this
script only checks them, then splits them with a fixed seed: procedure questions by the
procedure they were written from (so that no procedure has questions in both halves),
conversations by the kind of their follow-up, the other items by intent. It prints counts,
never questions, so that the frozen half can be made without reading it.

    python eval/split.py WRITERS_DIR          # writes eval/citizens-tuning.yaml and
                                              # eval/citizens-frozen.yaml
"""

from __future__ import annotations

import hashlib
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SEED = 20261203
sys.path.insert(0, str(HERE.parent))

from knowledge.catalog import load_procedures  # noqa: E402


def _flow(item: dict) -> str:
    """One question as a one-line YAML flow mapping, the shared/eval format."""
    fields = []
    for key, value in item.items():
        if isinstance(value, str):
            quoted = yaml.safe_dump(value, allow_unicode=True, default_style='"', width=10_000)
            fields.append(f"{key}: {quoted.strip()}")
        elif isinstance(value, list):
            fields.append(f"{key}: [{', '.join(chr(34) + v + chr(34) for v in value)}]")
        elif isinstance(value, bool):
            fields.append(f"{key}: {'true' if value else 'false'}")
        else:
            fields.append(f"{key}: {value}")
    return "{" + ", ".join(fields) + "}"


def _write(path: Path, title: str, questions: list[dict], conversations: list[dict]) -> None:
    lines = [f"# {title}", "# Written from the national records alone; see eval/README.md.", ""]
    lines += [f"- {_flow(item)}" for item in questions]
    for conversation in conversations:
        lines.append("- turns:")
        lines += [f"    - {_flow(turn)}" for turn in conversation["turns"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The file must read back as written.
    back = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(back) == len(questions) + len(conversations)


def _halves(items: list, key, rng: random.Random) -> tuple[list, list]:
    """Items grouped by `key`, the groups shuffled and dealt to the smaller half in turn."""
    groups: dict[str, list] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    order = sorted(groups)
    rng.shuffle(order)
    first: list = []
    second: list = []
    for name in order:
        (first if len(first) <= len(second) else second).extend(groups[name])
    return first, second


def _stratified(items: list, stratum, rng: random.Random) -> tuple[list, list]:
    first: list = []
    second: list = []
    by: dict[str, list] = defaultdict(list)
    for item in items:
        by[stratum(item)].append(item)
    for name in sorted(by):
        group = by[name]
        rng.shuffle(group)
        # Odd groups: the extra item goes to the half that is smaller so far.
        cut = len(group) // 2 + (len(group) % 2 if len(first) <= len(second) else 0)
        first.extend(group[:cut])
        second.extend(group[cut:])
    return first, second


def main(source: Path) -> None:
    known = {record["code"] for record in load_procedures()}
    load = lambda name: yaml.safe_load((source / name).read_text(encoding="utf-8"))  # noqa: E731
    procedures = [item for n in range(1, 7) for item in load(f"procedures_{n}.yaml")]
    not_in_data = load("not_in_data.yaml")
    others = load("other_intents.yaml")
    conversations = load("conversations.yaml")
    for item in procedures + [t for c in conversations for t in c["turns"]]:
        unknown = [code for code in item.get("codes") or [] if code not in known]
        assert not unknown, f"unknown codes {unknown}"
    rng = random.Random(SEED)
    tune_p, frozen_p = _halves(procedures, lambda item: item["from"], rng)
    tune_n, frozen_n = _stratified(not_in_data, lambda item: item.get("body", ""), rng)
    tune_o, frozen_o = _stratified(others, lambda item: item["intent"], rng)
    tune_c, frozen_c = _stratified(conversations, lambda c: c["turns"][1]["follow"], rng)
    _write(HERE / "citizens-tuning.yaml", "Citizen questions, tuning half: tune on these.",
           tune_p + tune_n + tune_o, tune_c)
    _write(HERE / "citizens-frozen.yaml",
           "Citizen questions, frozen half: report on these; never read them to tune.",
           frozen_p + frozen_n + frozen_o, frozen_c)
    for name, parts in (("tuning", (tune_p, tune_n, tune_o, tune_c)),
                        ("frozen", (frozen_p, frozen_n, frozen_o, frozen_c))):
        p, n, o, c = parts
        plain = sum(1 for item in p if "no_diacritics" in (item.get("style") or []))
        aspect = sum(1 for item in p if item.get("aspect") not in (None, "overview"))
        print(f"{name}: {len(p)} procedure questions over {len({i['from'] for i in p})} "
              f"procedures ({plain} without diacritics, {aspect} with an aspect), "
              f"{len(n)} not in data, {len(o)} other intents "
              f"{dict(sorted(Counter(i['intent'] for i in o).items()))}, {len(c)} conversations "
              f"{dict(sorted(Counter(x['turns'][1]['follow'] for x in c).items()))}")
    digest = hashlib.sha256((HERE / "citizens-frozen.yaml").read_bytes()).hexdigest()
    print(f"sha256 of citizens-frozen.yaml: {digest}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
