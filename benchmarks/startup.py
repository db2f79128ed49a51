"""How fast `gapcheck --help` starts, against a bare `import click` in the same run.

Target: within 1.5x of the bare import (the CLI must not import the engine, durable-rules,
pydantic, jinja2 or WeasyPrint just to print help). Run: python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_RATIO = 1.5


def median_seconds(command: list[str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    python = sys.executable
    script = Path(python).with_name("gapcheck")
    help_command = [str(script), "--help"] if script.exists() else [python, "-m", "gapcheck"]
    bare = median_seconds([python, "-c", "import click"], runs)
    cli = median_seconds(help_command, runs)
    ratio = cli / bare
    verdict = "ok" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(f"python -c 'import click'   {bare * 1000:7.1f} ms  (median of {runs})")
    print(f"gapcheck --help            {cli * 1000:7.1f} ms")
    print(f"ratio                      {ratio:7.2f} x   target <= {TARGET_RATIO}: {verdict}")


if __name__ == "__main__":
    main()
