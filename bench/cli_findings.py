"""The CLI's speed, process start included: `artsync --help`, and `artsync findings --json` on the `train` demo.

Targets: `--help` under 0.3 s; findings under 2 s (the foundation issue), under 1 s (the code-shape issue).
Runs against a fresh SQLite file.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def artsync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "artsync", *args], capture_output=True, text=True, check=False)


def timed(*args: str, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = artsync(*args)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"artsync {' '.join(args)} failed: {result.stderr.strip()}")
    return times


def compile_bytecode() -> None:
    """Time the command as installed: pip writes every module's bytecode at install time, while an
    editable checkout under PYTHONDONTWRITEBYTECODE would compile artsync's own sources on every run."""
    import artsync

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(artsync.__file__).parent)], check=True,
                   capture_output=True)  # fmt: skip


def main() -> None:
    compile_bytecode()
    helps = timed("--help")
    print(f"`artsync --help`: median {statistics.median(helps):.2f} s, min {min(helps):.2f} s (target < 0.3 s)")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        loaded = artsync("demo", "--size", "train", "--db", url)
        if loaded.returncode != 0:
            sys.exit(f"could not load the train demo: {loaded.stderr.strip()}")
        times = []
        for _ in range(5):
            start = time.perf_counter()
            result = artsync("findings", "--json", "--db", url)
            times.append(time.perf_counter() - start)
            if result.returncode != 0:
                sys.exit(f"findings failed: {result.stderr.strip()}")
        count = len(json.loads(result.stdout)["findings"])
    print(f"`artsync findings --json` on the train demo (2,000 features, 40 teams, SQLite): {count} findings")
    print(
        f"  median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
        f"over {len(times)} runs, process start included (target < 1 s)"
    )


if __name__ == "__main__":
    main()
