"""Letter benchmark: render beslutsbrev (two A4 pages, PDF/A-3u, tagged) in memory, no database.

    .venv/bin/python bench/letters.py [--letters 100] [--warmup 3] [--json]

The template context is built directly (letter_context over plain objects with realistic case
data), then each letter is rendered to PDF bytes the way issue_letter does (with the configured
logo). Prints median and p95 milliseconds per letter (wall clock, and the process's CPU time,
which other load on the machine disturbs less) and the peak memory (tracemalloc peak of Python
allocations and the process's maximum resident set size). Target (issue 4): median ≤ 250 ms.
"""

import argparse
import ctypes.util
import json
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.config import DEFAULTS  # noqa: E402
from app.letters.render import DecisionFacts, letter_context, render_pdf  # noqa: E402

OUTCOMES = ("bifall", "delvis_bifall", "avslag")


def case(number: int) -> tuple[DecisionFacts, SimpleNamespace, dict]:
    """A realistic decided case: decision, application and process data."""
    outcome = OUTCOMES[number % 3]
    requested = Decimal(90_000 + 1_000 * number)
    granted = {"bifall": requested, "delvis_bifall": requested / 2, "avslag": Decimal(0)}[outcome]
    application = SimpleNamespace(
        diarienummer=f"KS-2027/{number + 1:04d}", title=f"Nattvandring i Flemingsberg {number}",
        public_description="Vuxna nattvandrar fredag och lördag kväll i centrala Flemingsberg "
                           "och kring pendeltågsstationen, i samverkan med polisen.",
        requested_amount=requested,
        organisation=SimpleNamespace(name="Kultur- och fritidsnämnden"),
        round=SimpleNamespace(fund=SimpleNamespace(
            name="Trygghetsfonden", process_id="trygghetsfond", organ="", signatory_name="",
            signatory_title="", cost_centre="", cost_centre_name="", project_pattern="",
            transfer_account="")))
    half = granted // 2
    data = {
        "kontaktperson": {"namn": "Sara Sökande", "epost": "sara@huddinge.example"},
        "startdatum": "2027-02-01", "slutdatum": "2027-12-31",
        "aterrapportering_datum": "2028-01-31",
        "utbetalningsplan": [{"datum": "2027-02-01", "belopp": half},
                             {"datum": "2027-08-01", "belopp": granted - half,
                              "villkor": "Efter godkänd delrapport"}],
    }
    decision = DecisionFacts(
        outcome=outcome, amount=granted,
        motivation="Insatsen bygger på lägesbilden och trygghetsmätningen 2026. " * 4,
        conditions="Verksamheten ska genomföras i samverkan med kommunpolisen.",
        decided_at=datetime(2027, 3, 14, 9, 30, tzinfo=UTC),
        delegation_reference="Kommunstyrelsens delegationsordning punkt 4.1",
        decided_by=SimpleNamespace(display_name="Bo Beslut", title="Enhetschef"),
        presenter=SimpleNamespace(display_name="Hanna Handläggare", title="Handläggare"))
    return decision, application, data


def percentile95(ordered: list[float]) -> float:
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    for number in range(args.warmup):  # font loading, template compilation
        render_pdf(letter_context(*case(number), DEFAULTS))
    contexts = [letter_context(*case(n), DEFAULTS) for n in range(args.letters)]
    times, cpu_times, sizes = [], [], []
    for context in contexts:
        started, cpu_started = time.perf_counter(), time.process_time()
        pdf = render_pdf(context)
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu_started) * 1000)
        sizes.append(len(pdf))
    # tracemalloc slows rendering several-fold, so it gets its own (untimed) pass.
    tracemalloc.start()
    for context in contexts[:10]:
        render_pdf(context)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times.sort()
    cpu_times.sort()
    result = {
        "letters": args.letters,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile95(times), 1),
        "min_ms": round(times[0], 1), "max_ms": round(times[-1], 1),
        "cpu_median_ms": round(statistics.median(cpu_times), 1),
        "cpu_p95_ms": round(percentile95(cpu_times), 1),
        "mean_pdf_bytes": round(statistics.mean(sizes)),
        "tracemalloc_peak_mib": round(peak / 2**20, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "harfbuzz_subset": ctypes.util.find_library("harfbuzz-subset") is not None,
        "target_median_ms": 250,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['letters']} letters (PDF/A-3u, tagged, ~{result['mean_pdf_bytes']} bytes)")
    print(f"median {result['median_ms']} ms, p95 {result['p95_ms']} ms per letter "
          f"(min {result['min_ms']}, max {result['max_ms']}); target median ≤ 250 ms")
    print(f"CPU time: median {result['cpu_median_ms']} ms, p95 {result['cpu_p95_ms']} ms")
    print(f"peak memory: tracemalloc {result['tracemalloc_peak_mib']} MiB, "
          f"max RSS {result['max_rss_mib']} MiB; HarfBuzz subsetter: "
          f"{'yes' if result['harfbuzz_subset'] else 'NO'}")


if __name__ == "__main__":
    main()
