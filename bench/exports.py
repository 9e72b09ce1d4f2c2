"""Export benchmark: write one large payout batch in every format, in memory, no database.

    .venv/bin/python bench/exports.py [--payouts 10000] [--json]

Half the payouts are internal transfers to nämnder (SIE 4I), half payments to bolag and
kommunalförbund by bankgiro, plusgiro and IBAN (pain.001); the XLSX and CSV summaries list
them all. Prints seconds per format, output size and peak memory (tracemalloc peak of Python
allocations, in a separate untimed pass, and the process's maximum resident set size).
Target: under 2 s per format for 10 000 payouts.
"""

import argparse
import json
import resource
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stdnum import iban, luhn  # noqa: E402

from app.payouts import pain001, sie, summary  # noqa: E402
from app.payouts.lines import ExportBatch, ExportSettings, PayoutLine  # noqa: E402

NAMNDER = (("4200", "Kultur- och fritidsnämnden"), ("4300", "Socialnämnden"),
           ("4400", "Gymnasienämnden"), ("4500", "Grundskolenämnden"),
           ("5300", "Natur- och byggnadsnämnden"), ("4600", "Förskolenämnden"))
BOLAG = ("Huge Fastigheter AB", "Huddinge Samhällsfastigheter AB",
         "Södertörns brandförsvarsförbund", "Södertörns “Trygghetsförbund” – Vårby")
DISTRICTS = ("Flemingsberg", "Vårby", "Länna", "Segeltorp", "Skogås", "Stuvsta-Snättringe",
             "Sjödalen-Fullersta", "Trångsund", "Tullinge", "Huddinge centrum")
TARGET_SECONDS = 2.0
SETTINGS = ExportSettings()


def with_check_digit(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def account(number: int) -> tuple[str, str]:
    kind = ("bankgiro", "plusgiro", "iban")[number % 3]
    if kind == "bankgiro":
        return kind, with_check_digit(f"{5_000_000 + number % 4_000_000:07d}")
    if kind == "plusgiro":
        return kind, with_check_digit(str(10 + number))
    bban = f"500{number:017d}"
    return kind, f"SE{iban.calc_check_digits('SE00' + bban)}{bban}"


def payout(number: int) -> PayoutLine:
    """A realistic tranche: even numbers go to a nämnd, odd ones to a bolag."""
    case = number // 2 + 1
    common = {
        "reference": f"TF-KS-2027-{case:04d}-{number % 2 + 1}",
        "diarienummer": f"KS-2027/{case:04d}",
        "title": f"Trygghetsvandring och belysning i {DISTRICTS[number % len(DISTRICTS)]}",
        "amount": Decimal(50_000 + 137 * number) + Decimal("0.50"),
        "due_on": date(2027, 3, 20), "tranche": number % 2 + 1, "project": f"TF27-{case:04d}",
    }
    if number % 2 == 0:
        code, name = NAMNDER[number % len(NAMNDER)]
        return PayoutLine(payee_name=name, payee_kind="namnd", cost_centre=code, **common)
    kind, digits = account(number)
    return PayoutLine(payee_name=BOLAG[number % len(BOLAG)], payee_kind="bolag",
                      org_number=with_check_digit(f"55{6000000 + number % 999_999:07d}"),
                      account_kind=kind, account=digits, bic="ESSESESS" if kind == "iban" else "",
                      **common)


FORMATS = {
    "sie": lambda batch: sie.write_payouts(batch, SETTINGS),
    "pain001": lambda batch: pain001.write(batch, SETTINGS),
    "xlsx": lambda batch: summary.write_xlsx(batch, SETTINGS),
    "csv": lambda batch: summary.write_csv(batch, SETTINGS),
}


def measure(write, batch: ExportBatch) -> dict:
    started = time.perf_counter()
    size = len(write(batch))
    seconds = time.perf_counter() - started
    tracemalloc.start()  # slows the writer, so it gets its own untimed pass
    write(batch)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": round(seconds, 3), "bytes": size,
            "tracemalloc_peak_mib": round(peak / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payouts", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    batch = ExportBatch(number="UB-2027-0001", created_at=datetime(2027, 3, 14, 8, 30, tzinfo=UTC),
                        created_by="ekonom1", execution_date=date(2027, 3, 20),
                        lines=[payout(number) for number in range(args.payouts)])
    formats = {name: measure(write, batch) for name, write in FORMATS.items()}
    result = {
        "payouts": args.payouts, "internal": len(batch.internal), "external": len(batch.external),
        "formats": formats,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_seconds": TARGET_SECONDS,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['payouts']} payouts ({result['internal']} internal, "
          f"{result['external']} external); target under {TARGET_SECONDS} s per format")
    for name, figures in formats.items():
        verdict = "ok" if figures["seconds"] < TARGET_SECONDS else "SLOW"
        print(f"  {name:8} {figures['seconds']:6.3f} s  {figures['bytes'] / 2**20:6.2f} MiB  "
              f"tracemalloc peak {figures['tracemalloc_peak_mib']:6.1f} MiB  {verdict}")
    print(f"max RSS {result['max_rss_mib']} MiB")


if __name__ == "__main__":
    main()
