#!/usr/bin/env python3
"""Ray: `cleanpipe run --executor ray` against `--executor local` on the 10k-page batch corpus, and pages/s
as nodes are added to a Ray cluster.

The corpus is bench_batch.py's 10k corpus (bench/.work/corpus-10k: two JSONL shards of 5,000 pages built
from the real pages of SHARED/seeds and SHARED/corpus; built on first use). Every run is a
`python -m cleanpipe.cli run CORPUS -o OUT -q` subprocess into a fresh output folder, with the
near-duplicate pass on (the default), timed from start to exit. The Ray clusters are started by this script
with ray.cluster_utils.Cluster (raylets on this machine) before the timed run, so cluster start is not
in the figures; connecting the driver to the cluster is.

Rows:
- local, 1 and 2 worker processes: the median of --rounds runs each, alternating (2 workers, then 1), as
  this machine's speed drifts by tens of percent; the 2-against-1 speed-up is the median of the rounds'
  ratios;
- ray on a cluster of one node with 2 CPUs (the same cores as `local -w 2`: the cost of Ray itself);
- ray on a cluster of 1 node with 1 CPU, then the same cluster with a second 1-CPU node added
  (pages/s per added node).

Each output's Markdown files, duplicates.jsonl and removed.jsonl are hashed and compared with the
local 2-worker run's.

Run:  python3 bench/bench_ray.py            (writes bench/results/ray.md)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import DEFAULT_SHARED, DEFAULT_WORK, build_corpus  # noqa: E402
from bench_speed import machine_info, write_report  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "ray.md"
PACKAGES = ("cleanpipe", "ray", "numpy", "regex", "rapidfuzz")


@dataclass
class Run:
    label: str
    nodes: str
    seconds: float
    pages: int
    outputs: str

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def outputs_digest(folder: Path) -> str:
    """One hash over every output but run.json and the state folder (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and relative.parts[0] != ".cleanpipe" and path.name != "run.json":
            digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def timed_run(label: str, nodes: str, corpus: Path, out: Path, pages: int, extra: list[str]) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "cleanpipe.cli", "run", str(corpus), "-o", str(out), "-q", *extra]
    environment = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=out.parent)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{label}: exit {result.returncode}\n{result.stderr}")
    run = Run(label, nodes, seconds, pages, outputs_digest(out))
    print(f"{label:<40} {nodes:<22} {seconds:7.1f} s {run.rate:7.1f} pages/s", flush=True)
    return run


def ray_runs(corpus: Path, work: Path, pages: int) -> list[Run]:
    from ray.cluster_utils import Cluster

    runs = []
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
    try:
        cluster.wait_for_nodes()
        runs.append(timed_run("ray", "1 node, 2 CPUs", corpus, work / "ray-2cpu", pages,
                              ["--executor", "ray", "--ray-address", cluster.address]))
    finally:
        cluster.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.wait_for_nodes()
        runs.append(timed_run("ray", "1 node, 1 CPU", corpus, work / "ray-1node", pages,
                              ["--executor", "ray", "--ray-address", cluster.address]))
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        runs.append(timed_run("ray", "2 nodes, 1 CPU each", corpus, work / "ray-2nodes", pages,
                              ["--executor", "ray", "--ray-address", cluster.address]))
    finally:
        cluster.shutdown()
    return runs


def local_rounds(corpus: Path, work: Path, pages: int, rounds: int) -> tuple[list[Run], list[float]]:
    """The two local rows (median seconds of `rounds` alternating runs) and each round's 2-against-1 ratio."""
    twos, ones = [], []
    for _ in range(rounds):
        twos.append(timed_run("local", "2 worker processes", corpus, work / "local-2", pages, ["--workers", "2"]))
        ones.append(timed_run("local", "1 worker process", corpus, work / "local-1", pages, ["--workers", "1"]))
    ratios = [one.seconds / two.seconds for one, two in zip(ones, twos, strict=True)]
    return [_median_run(twos), _median_run(ones)], ratios


def _median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda run: run.seconds)
    middle = ordered[len(ordered) // 2]
    outputs = {run.outputs for run in runs}
    return Run(middle.label, middle.nodes, statistics.median(run.seconds for run in runs), middle.pages,
               middle.outputs if len(outputs) == 1 else "differ between rounds")


def render(runs: list[Run], pages: int, command: str, ratios: list[float]) -> str:
    reference = next(run for run in runs if run.label == "local" and run.nodes == "2 worker processes")
    lines = [
        "# Ray executor: cleanpipe run --executor ray against --executor local",
        "",
        f"Corpus: bench_batch.py's 10k corpus ({pages:,} pages, two JSONL shards built from the real pages of "
        "shared/seeds and shared/corpus); near-duplicate pass on. Each row is one `cleanpipe run` subprocess "
        "into a fresh output folder, timed from start to exit; Ray clusters are started before the timer. "
        f"Local rows: median of {len(ratios)} alternating rounds.",
        "",
        "| executor | workers / nodes | seconds | pages/s | × local 2 workers (time) | outputs equal local |",
        "|---|---|---:|---:|---:|---|",
    ]
    for run in runs:
        ratio = run.seconds / reference.seconds
        same = "yes" if run.outputs == reference.outputs else "**no**"
        lines.append(f"| {run.label} | {run.nodes} | {run.seconds:.1f} | {run.rate:.1f} | {ratio:.2f} | {same} |")
    lines += ["", f"2 worker processes against 1: **{statistics.median(ratios):.2f}x** (median of the rounds' ratios: "
              f"{', '.join(f'{ratio:.2f}' for ratio in ratios)})."]
    one = next((run for run in runs if run.nodes == "1 node, 1 CPU"), None)
    two = next((run for run in runs if run.nodes == "2 nodes, 1 CPU each"), None)
    if one and two:
        lines += ["", f"Pages/s per added node: {one.rate:.1f} with one node, {two.rate:.1f} with two "
                  f"({two.rate / one.rate:.2f}x)."]
    lines += ["", f"Command: `{command}`", "", "Machine:", ""]
    lines += [f"- {name}: {value}" for name, value in machine_info("", PACKAGES)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the folder with seeds/ and corpus/")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where the corpus and outputs go")
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS, help="the results file")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the local runs (default 3)")
    args = parser.parse_args(argv)
    corpus = build_corpus(args.shared, args.work, regenerate=False)
    work = args.work / "ray"
    work.mkdir(parents=True, exist_ok=True)
    pages = corpus.subset_pages
    local, ratios = local_rounds(corpus.subset, work, pages, args.rounds)
    runs = [*local, *ray_runs(corpus.subset, work, pages)]
    command = "python3 bench/bench_ray.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    write_report(render(runs, pages, command.strip(), ratios), args.output, args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
