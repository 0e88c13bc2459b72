"""How much of the PyTorch API that real projects use ember resolves today.

Reads the usage table (``../shared/api-usage.tsv``: one public PyTorch name a row, ranked by how
many of 31 real-world projects use it) and the per-file table (``../shared/api-usage-files.tsv``:
for each corpus file, the names ember lacked when the corpus was collected), resolves every name
against the installed ember, and prints:

* how many names resolve, overall and among those used by 2 or more projects;
* the share of corpus files whose every name resolves, with and without the distributed names
  (``torch.distributed``, DDP, ``DistributedSampler``, ``torch.multiprocessing``), next to the
  share at collection time;
* with ``--missing``, the names still unresolved, most used first.

``--write`` rewrites the ``in_ember`` column of the usage table (and its header's provenance
line) from what resolves now. Run from the project root::

    python scripts/api_coverage.py [--missing] [--min-repos 2] [--write]
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
USAGE = ROOT.parent / "shared" / "api-usage.tsv"
FILES = ROOT.parent / "shared" / "api-usage-files.tsv"

_MISSING = object()


def is_distributed(name: str) -> bool:
    """Names that belong to distributed training (issue: ember.distributed), not the core."""
    return ("distributed" in name.lower() or "DistributedDataParallel" in name
            or name.startswith("torch.multiprocessing"))


def _instances(ember: Any) -> dict[str, list[Any]]:
    """Example objects for the receiver prefixes of the table (``Tensor.X``, ``Module.X``...):
    a name resolves if its class or a typical instance has the attribute."""
    module = ember.nn.Linear(2, 2)
    optimizer = ember.optim.SGD(module.parameters(), lr=0.1)
    scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    return {
        "Tensor": [ember.Tensor, ember.ones(2, 2)],
        "Module": [ember.nn.Module, module],
        "Optimizer": [ember.optim.Optimizer, optimizer],
        "LRScheduler": [ember.optim.lr_scheduler.LRScheduler, scheduler],
        # the ctx that forward and backward receive is the node itself
        "FunctionCtx": [ember.autograd.function.FunctionCtx,
                        ember.autograd.function.BackwardFunction],
    }


def _getattr(obj: Any, attr: str) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(obj, attr)
    except Exception:  # a property that raises on this example still names an attribute
        if isinstance(obj, type) and any(attr in vars(k) for k in obj.__mro__):
            return None
        return _MISSING


def _resolve_module_path(parts: list[str]) -> tuple[Any, list[str]]:
    """The deepest importable ``ember.<...>`` module along ``parts``, and the rest."""
    for cut in range(len(parts), 0, -1):
        try:
            return importlib.import_module(".".join(["ember", *parts[:cut]])), parts[cut:]
        except Exception:
            continue
    return importlib.import_module("ember"), parts


def resolves(name: str, instances: dict[str, list[Any]]) -> bool:
    head, _, rest = name.partition(".")
    if head in instances:
        return any(_getattr(obj, rest) is not _MISSING for obj in instances[head])
    if head != "torch":
        return False
    obj, attrs = _resolve_module_path(rest.split("."))
    for attr in attrs:
        found = _getattr(obj, attr)
        if found is _MISSING:
            # an attribute of instances of a class (torch.finfo.min): declared on the class
            annotations = getattr(obj, "__annotations__", {}) if isinstance(obj, type) else {}
            slots = getattr(obj, "__slots__", ()) if isinstance(obj, type) else ()
            if attr in annotations or attr in slots:
                return True
            return False
        obj = found
    return True


def _read_tsv(path: Path) -> tuple[list[str], list[str], list[list[str]]]:
    comments, rows = [], []
    header: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            comments.append(line)
        elif not header:
            header = line.split("\t")
        elif line:
            rows.append(line.split("\t"))
    return comments, header, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--usage", type=Path, default=USAGE)
    parser.add_argument("--files", type=Path, default=FILES)
    parser.add_argument("--missing", action="store_true", help="list unresolved names")
    parser.add_argument("--min-repos", type=int, default=1, help="with --missing: at least N")
    parser.add_argument("--write", action="store_true", help="rewrite the in_ember column")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    import ember

    instances = _instances(ember)
    comments, header, rows = _read_tsv(args.usage)
    col = {name: i for i, name in enumerate(header)}
    status = {row[col["name"]]: resolves(row[col["name"]], instances) for row in rows}

    def share(pred: Any) -> str:
        chosen = [row for row in rows if pred(row)]
        ok = sum(status[row[col["name"]]] for row in chosen)
        return f"{ok}/{len(chosen)} ({100 * ok / max(1, len(chosen)):.0f}%)"

    def repos(row: list[str]) -> int:
        return int(row[col["repos"]])

    print("names resolved:", share(lambda r: True))
    print("names used by 2+ projects:", share(lambda r: repos(r) >= 2))
    print("  ... distributed names aside:",
          share(lambda r: repos(r) >= 2 and not is_distributed(r[0])))

    if args.files.exists():
        _, fheader, frows = _read_tsv(args.files)
        fcol = {name: i for i, name in enumerate(fheader)}
        then = now = now_nondist = then_nondist = 0
        for row in frows:
            cell = row[fcol["missing_at_collect"]] if len(row) > fcol["missing_at_collect"] else ""
            lacked = [n for n in cell.split(",") if n]
            core = [n for n in lacked if not is_distributed(n)]
            then += not lacked
            then_nondist += not core
            now += all(status.get(n, False) or resolves(n, instances) for n in lacked)
            now_nondist += all(status.get(n, False) or resolves(n, instances) for n in core)
        total = len(frows)
        print(f"files fully covered: at collection {then}/{total} ({100 * then / total:.0f}%), "
              f"now {now}/{total} ({100 * now / total:.0f}%)")
        print(f"  ... distributed names aside: at collection {then_nondist}/{total} "
              f"({100 * then_nondist / total:.0f}%), now {now_nondist}/{total} "
              f"({100 * now_nondist / total:.0f}%)")

    if args.missing:
        for row in rows:
            if not status[row[0]] and repos(row) >= args.min_repos:
                print(f"  {row[0]}\t{row[col['repos']]}\t{row[col['files']]}")

    if args.write:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip() or "unknown"
        lines = []
        for line in comments:
            if "in_ember checked against ember" in line:
                head, _, _ = line.partition("in_ember checked against ember")
                tail = line.split(")", 1)[1] if ")" in line else ""
                line = f"{head}in_ember checked against ember {commit}){tail}"
            lines.append(line)
        lines.append("\t".join(header))
        for row in rows:
            row[col["in_ember"]] = "yes" if status[row[0]] else "no"
            lines.append("\t".join(row))
        args.usage.write_text("\n".join(lines) + "\n")
        print(f"wrote {args.usage}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
