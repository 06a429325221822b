#!/usr/bin/env python3
"""Batch: `cleanpipe run` on a corpus of 50,000 pages: throughput at 1 and 2 workers, peak memory
at 10k and 50k pages, and the time of a re-run when nothing (or 1% of the pages) changed.

The corpus is built deterministically from the ~470 real pages of SHARED/seeds and SHARED/corpus (the
loader of bench_speed.py): record i takes page i mod n, gets a numbered title line, and with a seeded RNG
has a body paragraph dropped, two neighbouring paragraphs swapped, or the body of another page appended
(an aggregator page). Every record is distinct (checked). It is written as 10 JSONL shards of 5,000
records, every other one gzipped, to bench/.work/corpus-50k/; bench/.work/corpus-10k/ holds the first two
shards (hard links), and bench/.work/corpus-50k-changed/ the same 50k records with 1% of them edited.
The corpus is reused while its manifest matches (--regenerate forces a rebuild).

Each measurement is a separate `python -m cleanpipe.cli run INPUT -o OUT --workers N -q` subprocess, run
from bench/.work (so no cleanpipe.toml is picked up). While it runs, the process tree under it (the main
process, multiprocessing's forkserver and the pool's workers, which are the forkserver's children) is
sampled every 0.2 s from /proc: VmHWM (each process's own peak RSS, kept by the kernel, so a peak between
two samples is not missed), VmRSS (summed over the tree at each sample) and utime+stime.

Run from anywhere:  python3 bench/bench_batch.py             (writes bench/results/batch.md)
                    python3 bench/bench_batch.py --profile   (cProfile of the main process instead)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_speed import BenchError, Page, load_pages, machine_info, write_report  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_RESULTS = REPO_ROOT / "bench" / "results" / "batch.md"
DEFAULT_WORK = REPO_ROOT / "bench" / ".work"

# Bump when the way the corpus is built changes, so an old corpus in bench/.work is rebuilt.
GENERATOR_VERSION = 1
SEED = 20240603
SHARDS = 10
PER_SHARD = 5000
SUBSET_SHARDS = 2  # the 10k corpus: the first two shards
CHANGE_EVERY = 100  # the changed corpus edits 1 record in 100
SAMPLE_SECONDS = 0.2
PACKAGES = ("cleanpipe", "typer", "regex", "rapidfuzz", "beautifulsoup4", "charset-normalizer", "warcio")
MIB = 1024
MB = 1_000_000


# ------------------------------------------------------------------------------------------------ corpus


@dataclass(frozen=True)
class Corpus:
    pages: int
    text_bytes: int
    subset_pages: int
    subset_text_bytes: int
    changed: int
    folder: Path
    subset: Path
    changed_folder: Path
    file_bytes: int


def _paragraphs(text: str) -> list[str]:
    """Non-empty lines; a page of one or two long lines is split at sentence ends so it can vary too."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) >= 3:
        return lines
    sentences: list[str] = []
    for line in lines:
        parts = [part + "。" for part in line.split("。") if part.strip()]
        if parts and not line.rstrip().endswith("。"):
            parts[-1] = parts[-1][:-1]
        sentences.extend(parts)
    return sentences or lines


def vary(pages: list[Page], number: int) -> tuple[str, str]:
    """(origin, text) of record `number` (0-based): a variant of page number mod n, deterministic."""
    base = pages[number % len(pages)]
    rng = random.Random(f"{SEED}:{number}")
    paragraphs = _paragraphs(base.text)
    head, body = paragraphs[:1], paragraphs[1:]
    roll = rng.random()
    if roll < 0.3 and len(body) >= 3:  # a paragraph lost (a widget the scraper missed, a cut)
        del body[rng.randrange(len(body))]
    elif roll < 0.6 and len(body) >= 3:  # two neighbouring paragraphs in the other order
        where = rng.randrange(len(body) - 1)
        body[where], body[where + 1] = body[where + 1], body[where]
    elif roll < 0.75:  # an aggregator page: another page's body (up to 12 paragraphs) appended
        other = pages[(number % len(pages) + rng.randrange(1, len(pages))) % len(pages)]
        body += _paragraphs(other.text)[1:13]
    title = f"{base.title[:60]}（第{number + 1}期）" if base.title else f"第{number + 1}期"
    joiner = "\n" if rng.random() < 0.8 else "\n\n"
    return base.name, joiner.join([title, *head, *body]) + "\n"


def _changed(text: str, number: int) -> str:
    """The edit made to 1% of the records in the changed corpus: an update note after the first line."""
    first, _, rest = text.partition("\n")
    return f"{first}\n（本文于2024年6月{number % 28 + 1}日更新，补充了第{number % 7 + 1}部分的内容。）\n{rest}"


def _shard_name(index: int) -> str:
    return f"shard-{index:02d}.jsonl" + (".gz" if index % 2 else "")


def _open_shard(path: Path) -> io.BufferedIOBase:
    if path.name.endswith(".gz"):
        return gzip.GzipFile(path, "wb", compresslevel=6, mtime=0)  # mtime=0: same bytes every build
    return path.open("wb")


def _record(origin: str, number: int, text: str) -> bytes:
    record = {
        "id": f"p{number + 1:06d}",
        "url": f"https://pages.bench.invalid/{origin.removesuffix('.txt')}/{number + 1}",
        "text": text,
    }
    return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"


def build_corpus(shared: Path, work: Path, regenerate: bool) -> Corpus:
    folder, subset, changed_folder = work / "corpus-50k", work / "corpus-10k", work / "corpus-50k-changed"
    manifest_path = work / "corpus.json"
    pages = load_pages(shared)
    source_digest = hashlib.sha256("\0".join(page.name + "\0" + page.text for page in pages).encode()).hexdigest()
    wanted = {"generator": GENERATOR_VERSION, "seed": SEED, "shards": SHARDS, "per_shard": PER_SHARD,
              "source_pages": len(pages), "source_digest": source_digest}
    if not regenerate and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        files = [folder / _shard_name(i) for i in range(SHARDS)] + [changed_folder / _shard_name(i) for i in
                                                                   range(SHARDS)]
        if {key: manifest.get(key) for key in wanted} == wanted and all(path.is_file() for path in files):
            print(f"corpus: reusing {folder} ({manifest['pages']:,} pages)", flush=True)
            return _corpus_of(manifest, folder, subset, changed_folder)
    print(f"corpus: building {SHARDS * PER_SHARD:,} pages from {len(pages)} pages of {shared} ...", flush=True)
    started = time.perf_counter()
    for path in (folder, subset, changed_folder):
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
    manifest_path.unlink(missing_ok=True)
    digests: set[bytes] = set()
    text_bytes = subset_bytes = changed = 0
    for shard in range(SHARDS):
        name = _shard_name(shard)
        with _open_shard(folder / name) as stream, _open_shard(changed_folder / name) as changed_stream:
            for number in range(shard * PER_SHARD, (shard + 1) * PER_SHARD):
                origin, text = vary(pages, number)
                digest = hashlib.sha256(text.encode("utf-8")).digest()
                if digest in digests:
                    raise BenchError(f"record {number + 1} repeats an earlier one; change the generator")
                digests.add(digest)
                size = len(text.encode("utf-8"))
                text_bytes += size
                subset_bytes += size if shard < SUBSET_SHARDS else 0
                line = _record(origin, number, text)
                stream.write(line)
                if number % CHANGE_EVERY == CHANGE_EVERY // 2:
                    changed += 1
                    line = _record(origin, number, _changed(text, number))
                changed_stream.write(line)
        if shard < SUBSET_SHARDS:
            try:
                os.link(folder / name, subset / name)
            except OSError:
                shutil.copyfile(folder / name, subset / name)
    manifest = {**wanted, "pages": SHARDS * PER_SHARD, "text_bytes": text_bytes,
                "subset_pages": SUBSET_SHARDS * PER_SHARD, "subset_text_bytes": subset_bytes, "changed": changed,
                "file_bytes": sum(path.stat().st_size for path in folder.iterdir())}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"corpus: built in {time.perf_counter() - started:.0f} s", flush=True)
    return _corpus_of(manifest, folder, subset, changed_folder)


def _corpus_of(manifest: dict[str, Any], folder: Path, subset: Path, changed_folder: Path) -> Corpus:
    return Corpus(manifest["pages"], manifest["text_bytes"], manifest["subset_pages"],
                  manifest["subset_text_bytes"], manifest["changed"], folder, subset, changed_folder,
                  manifest["file_bytes"])


# ---------------------------------------------------------------------------------------------- measuring


@dataclass
class _Proc:
    pid: int
    parent: int
    role: str = "worker"
    hwm_kib: int = 0
    anon_kib: int = 0  # the largest RssAnon sampled: RSS without file pages (memory maps, page cache)
    cpu_seconds: float = 0.0


@dataclass
class Measurement:
    label: str
    command: list[str]
    pages: int
    text_bytes: int
    wall: float = 0.0
    exit_code: int = 0
    run_json: dict[str, Any] = field(default_factory=dict)
    procs: dict[int, _Proc] = field(default_factory=dict)
    tree_rss_peak_kib: int = 0
    wait4_maxrss_kib: int = 0
    wait4_cpu: float = 0.0
    machine_busy: float = 0.0  # CPU seconds all processes of the machine used during the run (/proc/stat)
    stdout: str = ""

    @property
    def main(self) -> _Proc:
        return next(proc for proc in self.procs.values() if proc.role == "main")

    @property
    def workers(self) -> list[_Proc]:
        return [proc for proc in self.procs.values() if proc.role == "worker"]

    @property
    def peak_kib(self) -> int:
        return max([proc.hwm_kib for proc in self.procs.values()] + [self.wait4_maxrss_kib])

    @property
    def tree_cpu(self) -> float:
        return sum(proc.cpu_seconds for proc in self.procs.values())

    @property
    def other_cpu(self) -> float:
        """CPU seconds other processes of the machine used during the run: other work competing for the cores."""
        return max(0.0, self.machine_busy - self.tree_cpu)

    @property
    def batch_seconds(self) -> float:
        return float(self.run_json.get("seconds", 0.0))


_TICKS = os.sysconf("SC_CLK_TCK")


def _ppid_and_cpu(pid: int) -> tuple[int, float] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS  # ppid; utime + stime, self only


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (user, nice, system, irq, softirq, steal)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:3]) + sum(fields[5:8])) / _TICKS


def _memory_kib(pid: int) -> tuple[int, int, int]:
    """(VmHWM, VmRSS, RssAnon) of a process in KiB; zeros if it is gone."""
    hwm = rss = anon = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                anon = int(line.split()[1])
    except OSError:
        pass
    return hwm, rss, anon


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class TreeSampler(threading.Thread):
    """Samples the process tree under `root` until stopped: per process its VmHWM and CPU seconds, and
    the largest sum of VmRSS over the tree at one instant."""

    def __init__(self, root: int, measurement: Measurement) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.measurement = measurement
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        parents: dict[int, tuple[int, float]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                found = _ppid_and_cpu(int(entry.name))
                if found:
                    parents[int(entry.name)] = found
        tree = {self.root}
        grew = True
        while grew:
            grew = False
            for pid, (parent, _) in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        procs = self.measurement.procs
        total = 0
        for pid in tree:
            if pid not in parents:
                continue
            hwm, rss, anon = _memory_kib(pid)
            if hwm == 0:
                continue
            proc = procs.get(pid)
            if proc is None:
                proc = procs[pid] = _Proc(pid, parents[pid][0], role=self._role(pid, parents[pid][0]))
            proc.hwm_kib = max(proc.hwm_kib, hwm)
            proc.anon_kib = max(proc.anon_kib, anon)
            proc.cpu_seconds = max(proc.cpu_seconds, parents[pid][1])
            total += rss
        self.measurement.tree_rss_peak_kib = max(self.measurement.tree_rss_peak_kib, total)

    def _role(self, pid: int, parent: int) -> str:
        if pid == self.root:
            return "main"
        command = _cmdline(pid)
        if "resource_tracker" in command:
            return "helper"
        if parent == self.root and "forkserver" in command:
            return "helper"  # the forkserver; the pool's workers are its children (same command line)
        return "worker"


def measure(label: str, inputs: Path, output: Path, workers: int, pages: int, text_bytes: int,
            work: Path, fresh: bool) -> Measurement:
    if fresh:
        shutil.rmtree(output, ignore_errors=True)
    command = [sys.executable, "-m", "cleanpipe.cli", "run", str(inputs), "-o", str(output),
               "--workers", str(workers), "-q"]
    measurement = Measurement(label, command, pages, text_bytes)
    print(f"run: {label} ...", end=" ", flush=True)
    log = work / "last-run.log"
    with log.open("w+") as stream:
        started, busy = time.perf_counter(), _machine_busy_seconds()
        child = subprocess.Popen(command, cwd=work, stdout=stream, stderr=subprocess.STDOUT)
        sampler = TreeSampler(child.pid, measurement)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)  # this child's rusage (and its reaped descendants')
        measurement.wall = time.perf_counter() - started
        measurement.machine_busy = _machine_busy_seconds() - busy
        child.returncode = os.waitstatus_to_exitcode(status)
        sampler.stopping.set()
        sampler.join()
        stream.seek(0)
        measurement.stdout = stream.read()
    measurement.exit_code = child.returncode
    measurement.wait4_maxrss_kib = usage.ru_maxrss
    measurement.wait4_cpu = usage.ru_utime + usage.ru_stime
    if measurement.exit_code != 0:
        raise BenchError(f"{shlex.join(command)} exited with {measurement.exit_code}:\n{measurement.stdout[-3000:]}")
    measurement.run_json = json.loads((output / "run.json").read_text())
    print(f"{measurement.wall:.1f} s, peak RSS {measurement.peak_kib / MIB:.0f} MiB", flush=True)
    return measurement


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------------------------- report


def _row(m: Measurement) -> str:
    pages = m.run_json["pages"]
    workers = m.workers
    worker_peak = max((proc.hwm_kib for proc in workers), default=0)
    worker_cpu = sum(proc.cpu_seconds for proc in workers)
    return (
        f"| {m.label} | {pages['read']:,} | {pages['written']:,} | {pages['skipped']:,} | {m.wall:.1f} "
        f"| {m.batch_seconds:.1f} | {m.pages / m.wall:,.0f} | {m.text_bytes / MB / m.wall:.2f} "
        f"| {m.main.cpu_seconds:.1f} | {worker_cpu:.1f} | {m.other_cpu:.0f} "
        f"| {m.main.hwm_kib / MIB:.0f} | {m.main.anon_kib / MIB:.0f} | {worker_peak / MIB:.0f} "
        f"| {m.tree_rss_peak_kib / MIB:.0f} |"
    )


def render(corpus: Corpus, runs: dict[str, Measurement], command: str, identical: bool | None) -> str:
    first1, first2 = runs["first-w1"], runs["first-w2"]
    small, rerun = runs["first-10k-w2"], runs["rerun-w2"]
    scaling = first1.wall / first2.wall
    rerun_ratio = first2.wall / rerun.wall
    peak = max(m.peak_kib for m in runs.values())
    lines = [
        "# Batch: `cleanpipe run` on 50,000 pages",
        "",
        f"- date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- command: `{command}`",
        f"- corpus: {corpus.pages:,} distinct pages built from the pages of shared/seeds and shared/corpus "
        f"(seed {SEED}), {corpus.text_bytes / MB:.1f} MB of UTF-8 text, in {SHARDS} JSONL shards "
        f"(every other one gzipped, {corpus.file_bytes / MB:.0f} MB on disk); the 10k corpus is the first "
        f"{SUBSET_SHARDS} shards ({corpus.subset_text_bytes / MB:.1f} MB); the changed corpus edits "
        f"{corpus.changed:,} pages ({corpus.changed / corpus.pages:.0%})",
        "- each row is one `python -m cleanpipe.cli run INPUT -o OUT --workers N -q` subprocess; \"first\" "
        "rows start from an empty output folder; the re-runs reuse the output of `first 50k, 2 workers`",
        "- wall s: from starting the subprocess to its exit (interpreter start-up included); batch s: "
        "`seconds` in run.json; pages/s and MB/s divide the pages and their UTF-8 text bytes by wall s",
        "- CPU s and peak RSS from /proc, sampled every 0.2 s over the process tree: main = the `cleanpipe` "
        "process (lists the inputs, decides, SQLite, writes the audit; with --workers 1 it also reads and "
        "cleans), workers = the pool's processes (CPU summed, RSS the largest one's VmHWM), tree = the "
        "largest sum of VmRSS of all processes at one sample (forkserver and resource tracker included); CPU "
        "s other processes = CPU time the rest of the machine used during the run (/proc/stat busy time minus"
        " this run's): on a shared machine that is work competing with the workers for the cores; peak "
        "anonymous main = the largest RssAnon sampled of the main process: its RSS without file pages (the "
        "near-duplicate pass reads the workers' shingle-set files through memory maps, which count in RSS "
        "but are page cache the kernel can drop)",
        "",
        "| run | pages read | cleaned | skipped | wall s | batch s | pages/s | MB/s | CPU s main | CPU s workers "
        "| CPU s other processes | peak RSS main MiB | peak anonymous main MiB | peak RSS worker MiB "
        "| peak RSS tree MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(m) for m in runs.values()]
    lines += [
        "",
        "Targets:",
        "",
        f"- 2 workers at least 1.8x one worker: **{scaling:.2f}x** (wall {first1.wall:.1f} s / {first2.wall:.1f} s; "
        f"batch s {first1.batch_seconds / first2.batch_seconds:.2f}x): "
        f"{'met' if scaling >= 1.8 else 'NOT met'}",
        f"- a no-change re-run at least 20x faster than the first run: **{rerun_ratio:.1f}x** "
        f"({first2.wall:.1f} s / {rerun.wall:.1f} s, 2 workers): {'met' if rerun_ratio >= 20 else 'NOT met'}",
        f"- peak memory under 1 GB at any corpus size: largest single process **{peak / MIB:.0f} MiB**; "
        f"10k pages {small.peak_kib / MIB:.0f} MiB (tree {small.tree_rss_peak_kib / MIB:.0f} MiB), "
        f"50k pages {first2.peak_kib / MIB:.0f} MiB (tree {first2.tree_rss_peak_kib / MIB:.0f} MiB): "
        f"{'met' if max(m.tree_rss_peak_kib for m in runs.values()) < 1_000_000 else 'NOT met'}",
    ]
    if "rerun-changed-w2" in runs:
        changed = runs["rerun-changed-w2"]
        lines.append(
            f"- re-run with {corpus.changed / corpus.pages:.0%} of the pages changed: {changed.wall:.1f} s, "
            f"{first2.wall / changed.wall:.1f}x faster than the first run"
        )
    if identical is not None:
        lines.append(
            "- removed.jsonl of the 1-worker and 2-worker first runs: "
            + ("byte-identical" if identical else "DIFFERENT (the executor promises byte-identical outputs)")
        )
    lines += ["", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in machine_info("", PACKAGES)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- profile

_PROFILE_CODE = """
import cProfile, pstats, sys
from pathlib import Path
from cleanpipe.config import Config
from cleanpipe.executors.batch import BatchOptions, run_batch
inputs, output, workers, top, sort = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
profile = cProfile.Profile()
profile.enable()
summary = run_batch(BatchOptions((inputs,), output, Config(), workers=workers))
profile.disable()
print(f"pages {summary.pages} written {summary.written} skipped {summary.skipped} in {summary.seconds:.1f} s")
for key in sort.split(","):
    pstats.Stats(profile).sort_stats(key).print_stats(top)
"""


def profile_main(corpus: Corpus, work: Path, workers: int, top: int) -> str:
    """cProfile of the main process of run_batch (the workers are other processes and are not profiled):
    a first run of the 10k corpus, then a no-change re-run of it."""
    output = work / "out-profile"
    shutil.rmtree(output, ignore_errors=True)
    reports = []
    for title in ("first run", "no-change re-run"):
        command = [sys.executable, "-c", _PROFILE_CODE, str(corpus.subset), str(output), str(workers), str(top),
                   "tottime,cumulative"]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=work, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"profiling failed:\n{done.stderr[-3000:]}")
        reports.append(f"## main process, {title}, 10k pages, --workers {workers} "
                       f"({time.perf_counter() - started:.1f} s)\n\n{done.stdout}")
    shutil.rmtree(output, ignore_errors=True)
    return "\n".join(reports)


# ------------------------------------------------------------------------------------------------- main


def _plan(corpus: Corpus, work: Path, changed: bool) -> Iterator[tuple[str, str, Path, Path, int, int, int, bool]]:
    """(key, label, inputs, output, workers, pages, text bytes, fresh) of each run, in order."""
    big, small = (corpus.pages, corpus.text_bytes), (corpus.subset_pages, corpus.subset_text_bytes)
    yield "first-10k-w2", "first 10k, 2 workers", corpus.subset, work / "out-10k-w2", 2, *small, True
    yield "first-w1", "first 50k, 1 worker", corpus.folder, work / "out-50k-w1", 1, *big, True
    yield "first-w2", "first 50k, 2 workers", corpus.folder, work / "out-50k-w2", 2, *big, True
    yield "rerun-w2", "no-change re-run 50k, 2 workers", corpus.folder, work / "out-50k-w2", 2, *big, False
    yield "rerun2-w2", "no-change re-run 50k, 2 workers (again)", corpus.folder, work / "out-50k-w2", 2, *big, False
    if changed:
        yield ("rerun-changed-w2", f"re-run 50k, {corpus.changed / corpus.pages:.0%} changed, 2 workers",
               corpus.changed_folder, work / "out-50k-w2", 2, *big, False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help=f"folder holding seeds/ and corpus/ (default: {DEFAULT_SHARED})")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK,
                        help=f"folder for the corpus and the outputs (default: {DEFAULT_WORK})")
    parser.add_argument("--output", type=Path, default=DEFAULT_RESULTS,
                        help=f"results file (default: {DEFAULT_RESULTS})")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the corpus even if it is up to date")
    parser.add_argument("--no-changed", action="store_true", help="skip the re-run with 1%% of the pages changed")
    parser.add_argument("--keep", action="store_true",
                        help="keep the output folders (by default they are deleted at the end; the corpus is kept)")
    parser.add_argument("--clean", action="store_true", help="delete the work folder (corpus included) and exit")
    parser.add_argument("--profile", action="store_true",
                        help="instead: cProfile the main process of run_batch on the 10k corpus (first run and "
                        "no-change re-run) and print the top functions")
    parser.add_argument("--profile-workers", type=int, default=2, help="--workers for --profile (default 2)")
    parser.add_argument("--top", type=int, default=25, help="functions to show with --profile (default 25)")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    if args.clean:
        shutil.rmtree(work, ignore_errors=True)
        print(f"deleted {work}")
        return 0
    work.mkdir(parents=True, exist_ok=True)
    runs: dict[str, Measurement] = {}
    identical: bool | None = None
    try:
        corpus = build_corpus(args.shared.resolve(), work, args.regenerate)
        if args.profile:
            print(profile_main(corpus, work, args.profile_workers, args.top))
            return 0
        for key, label, inputs, output, workers, pages, text_bytes, fresh in _plan(corpus, work,
                                                                                   not args.no_changed):
            runs[key] = measure(label, inputs, output, workers, pages, text_bytes, work, fresh)
            if key == "first-w2":  # the executor promises the same audit whatever the number of workers
                audits = [work / "out-50k-w1" / "removed.jsonl", work / "out-50k-w2" / "removed.jsonl"]
                identical = _digest(audits[0]) == _digest(audits[1])
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            for folder in work.glob("out-*"):
                shutil.rmtree(folder, ignore_errors=True)
    command = shlex.join(["python3", "bench/bench_batch.py", *(argv if argv is not None else sys.argv[1:])])
    report = render(corpus, runs, command, identical)
    print()
    write_report(report, args.output, args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
