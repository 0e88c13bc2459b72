"""The long run: new seeds for a time budget, counts by difference kind, and every distinct
unexplained difference shrunk and printed.

    python tests/fuzz/run.py --seconds 600 --seed 1000000      # from the project root
    python tests/fuzz/run.py --seeds 0:200 --all               # list known ones too

``--out FILE`` also writes every shrunk finding (one per kind) as Python for triage.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
    sys.path.insert(0, os.path.join(ROOT, "src"))

from tests.fuzz.allowlist import classify  # noqa: E402
from tests.fuzz.driver import Result, run_seeds  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 10**6 * 1000)
    parser.add_argument("--seeds", help="a range a:b instead of --seed/--seconds")
    parser.add_argument("--per-kind", type=int, default=2, help="programs shrunk per kind")
    parser.add_argument("--max-shrink", type=int, default=400, help="trials per shrink")
    parser.add_argument("--all", action="store_true", help="print known findings too")
    parser.add_argument("--out", help="write the shrunk findings here")
    parser.add_argument("--pickle", help="save every finding (for reclassifying offline)")
    args = parser.parse_args(argv)

    if args.seeds:
        a, b = map(int, args.seeds.split(":"))
        seeds: object = range(a, b)
        deadline = None
    else:
        seeds = iter(range(args.seed, args.seed + 10**9))
        deadline = time.monotonic() + args.seconds
    counts: collections.Counter = collections.Counter()
    labels: collections.Counter = collections.Counter()
    examples: dict = {}
    crashes: list[Result] = []
    start = time.monotonic()

    def on_result(r: Result) -> None:
        if r.crash:
            crashes.append(r)
        elif r.finding is not None:
            label = classify(r.finding)
            counts[r.finding.kind] += 1
            labels[label] += 1
            examples.setdefault(r.finding.kind, (label, r.finding))

    results = run_seeds(seeds, on_result, deadline, per_kind=args.per_kind,
                        max_shrink=args.max_shrink)
    elapsed = time.monotonic() - start
    n = len(results)
    differing = sum(1 for r in results if r.finding is not None)
    statements = sum(r.statements for r in results)
    cpu = sum(r.cpu for r in results)
    print(f"{n} programs ({statements} statements) in {elapsed:.0f} s "
          f"({1000 * elapsed / max(n, 1):.1f} ms each); {differing} differ; "
          f"{len(counts)} kinds; {len(crashes)} torch crashes/fuzzer errors; worker CPU "
          f"{cpu:.0f} s ({1000 * cpu / max(n, 1):.1f} ms per program, shrinking included)")
    print("\nby allow-list entry:")
    for label, c in labels.most_common():
        print(f"  {c:6d}  {label}")
    print("\nby kind (category, op): count, entry")
    for kind, c in counts.most_common():
        print(f"  {c:6d}  {kind[0]:28s} {kind[1]:28s} {examples[kind][0]}")
    new = [(k, f) for k, (label, f) in examples.items() if label == "UNEXPLAINED" or args.all]
    for kind, f in new:
        print("\n" + "=" * 100 + f"\n[{examples[kind][0]}] " + f.report())
    for r in crashes[:5]:
        print(f"\nseed {r.seed}: {r.crash[:2000]}")
    if args.pickle:
        import pickle

        with open(args.pickle, "wb") as fh:
            pickle.dump([f for _, f in examples.values()], fh)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            for kind, (label, f) in sorted(examples.items()):
                fh.write(f"# [{label}] {kind} seed {f.seed}\n{f.report()}\n\n")
    return 1 if any(label == "UNEXPLAINED" for label, _ in examples.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
