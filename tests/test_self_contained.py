"""A clone on its own passes `make test`: no test and no app code reads files beside the repository
(the benchmark data beside the clone is for `make bench` only, under tests/bench)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIMB = re.compile(r"parents\[(\d+)\]")  # Path(__file__).resolve().parents[n]
BESIDE = re.compile(r"""\.\./shared|["']shared["']|shared/data""")  # the folder beside the clone


BENCH = re.compile(r"\btests\.bench\b")  # the benchmarks read the data beside the clone


def _outside(path: Path, line: str) -> bool:
    climbs_out = any(
        ROOT not in [path.parents[int(n)], *path.parents[int(n)].parents] for n in CLIMB.findall(line)
    )
    return climbs_out or bool(BESIDE.search(line)) or bool(BENCH.search(line))


def test_no_test_or_app_code_reads_outside_the_repository() -> None:
    offenders = []
    for folder in ("app", "tests", "migrations"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative.parts[:2] == ("tests", "bench") or path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if _outside(path, line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "\n".join(offenders)


def test_the_guard_sees_a_path_to_the_shared_folder() -> None:
    here = ROOT / "tests" / "imports" / "test_import.py"
    assert _outside(here, "DATA = Path(__file__).resolve().parents[3] / 'data'")
    assert _outside(here, "open('../" + "shared/data/reviews.csv')")
    assert _outside(here, "x = Path(__file__).resolve().parents[3]")
    assert not _outside(here, 'APP = Path(__file__).resolve().parents[2] / "app"')
    assert _outside(here, "from tests.bench.search_bench import CSV_FILE")
