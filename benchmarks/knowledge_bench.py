"""Speed and memory of the knowledge side: `make bench` (or `python -m benchmarks.knowledge_bench`).

For each procedure-set size (the 2,642 real records, then grown synthetically to 50,000) a
fresh process loads the knowledge, answers every question in benchmarks/questions.txt a few
times, and reports: load time, per-question latency (median, p99), and peak memory (RSS).
A fresh process per size keeps one size's memory out of the next one's figures.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTIONS_PATH = Path(__file__).with_name("questions.txt")
SIZES = (None, 10_000, 50_000)
ROUNDS = 5


def grow(records: list[dict], size: int, seed: int = 7) -> list[dict]:
    """The real records plus synthetic ones up to `size`: real records under new codes, their
    names recombined with words of other names so that the index grows like a real one."""
    rng = random.Random(seed)
    words = [word for record in records for word in record["name"].split()]
    grown = list(records)
    for number in range(size - len(records)):
        base = records[number % len(records)]
        extra = " ".join(rng.choice(words) for _ in range(rng.randint(2, 5)))
        grown.append({**base, "code": f"9.{number:06d}", "name": f"{base['name']} {extra}"})
    return grown


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def measure(size: int | None) -> dict:
    """Runs in the child process: load, answer, report."""
    from bot.dialogue import offline_dialogue
    from knowledge.base import Knowledge
    from knowledge.catalog import load_procedures
    from knowledge.handkept.model import load_handkept
    from knowledge.nlu.understand import Understander

    started = time.perf_counter()
    if size is None:
        knowledge = Knowledge.load()
    else:
        knowledge = Knowledge.build(grow(load_procedures(), size), load_handkept())
    load_seconds = time.perf_counter() - started
    dialogue = offline_dialogue(knowledge)
    # Every question is understood afresh: the reuse of understandings would otherwise turn
    # rounds 2 to 5 into look-ups and hide the cost measured here.
    dialogue.understander = Understander(knowledge, cache_size=0)
    questions = [q for q in QUESTIONS_PATH.read_text(encoding="utf-8").splitlines() if q.strip()]
    latencies = []
    for round_ in range(ROUNDS):
        for number, question in enumerate(questions):
            # A citizen of its own for each question: one citizen's petition request would
            # otherwise take the next questions as the petition's answers.
            begun = time.perf_counter()
            dialogue.ask(question, user=f"bench-{round_}-{number}")
            latencies.append((time.perf_counter() - begun) * 1000)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "procedures": len(knowledge.procedures),
        "load_s": load_seconds,
        "questions": len(questions) * ROUNDS,
        "median_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "peak_rss_mb": peak_kib / 1024,
    }


def run_child(size: int | None) -> dict:
    command = [sys.executable, "-m", "benchmarks.knowledge_bench", "--child"]
    if size is not None:
        command += ["--size", str(size)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=None, help="grow the procedure set to this")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.size)))
        return
    print("Knowledge benchmark (goals with the real records: p99 < 20 ms, load < 2 s, "
          "peak < 300 MB)")
    print(f"{'procedures':>10} {'load s':>8} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} "
          f"{'peak MB':>8} {'questions':>10}")
    for size in SIZES if args.size is None else (args.size,):
        row = run_child(size)
        print(f"{row['procedures']:>10,} {row['load_s']:>8.2f} {row['median_ms']:>10.2f} "
              f"{row['p99_ms']:>8.2f} {row['max_ms']:>8.2f} {row['peak_rss_mb']:>8.0f} "
              f"{row['questions']:>10}", flush=True)


if __name__ == "__main__":
    main()
