"""`cleanpipe run --executor ray` on a real Ray cluster: two raylets on this machine (ray.cluster_utils.Cluster),
no mocks. The Ray run gives the local run's outputs byte for byte (Markdown, duplicates.jsonl, removed.jsonl),
also when a worker node is removed midway, and a driver killed with SIGKILL resumes to the same outputs
without cleaning finished shards again. The near-duplicate pass's steps and `cleanpipe learn` run on the
cluster too.

The corpus mixes the sample pages (text and HTML), JSONL dumps from tests/fixtures, and 240 reposts of the seed
page with a few lines varied each, so the near-duplicate pass has clusters to find."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from conftest import FIXTURES, SEED_PAGE, fixture_text, output_snapshot
from ray.cluster_utils import Cluster

from cleanpipe.executors.batch import BatchOptions, run_batch
from cleanpipe.executors.ray import RayExecutor

REPOSTS = 240
LINES = [line for line in fixture_text("property_lines.txt").splitlines() if line]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    for page in SEED_PAGE.parent.iterdir():
        if page.suffix in (".txt", ".html"):
            shutil.copy(page, raw / page.name)
    for dump in ("boilerplate_clean_pages.jsonl", "learn_zol_pages.jsonl", "neardup/pages.jsonl"):
        shutil.copy(FIXTURES / dump, raw / dump.replace("/", "_"))
    seed = SEED_PAGE.read_text(encoding="utf-8")
    reposts = raw / "reposts"
    reposts.mkdir()
    for number in range(REPOSTS):
        extra = "\n".join(LINES[(number * 7 + k) % len(LINES)] for k in range(3))
        page = f"第{number}页：电商和微商有什么区别?\n{extra}\n\n{seed}"
        (reposts / f"page{number:04d}.txt").write_text(page, encoding="utf-8")
    return raw


@pytest.fixture(scope="module")
def local_outputs(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("local")
    summary = run_batch(BatchOptions((corpus,), out, workers=2))
    assert summary.failed == 0 and summary.duplicates["duplicates"] > 100
    return output_snapshot(out)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A head node and a worker node, one CPU each."""
    assert not ray.is_initialized()
    started = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    started.add_node(num_cpus=1)
    started.wait_for_nodes()
    yield started
    started.shutdown()


def _command(corpus: Path, out: Path, address: str) -> list[str]:
    return [sys.executable, "-m", "cleanpipe.cli", "run", str(corpus), "-o", str(out), "--executor", "ray",
            "--ray-address", address, "-q"]  # fmt: skip


def _environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}


def _wait_for_pages(out: Path, count: int, process: subprocess.Popen[str]) -> int:
    """Wait until `count` pages of the run are written; returns how many there are."""
    deadline = time.monotonic() + 120
    written = 0
    while time.monotonic() < deadline and process.poll() is None:
        written = sum(1 for _ in out.rglob("*.md"))
        if written >= count:
            return written
        time.sleep(0.05)
    raise AssertionError(f"the run wrote {written} pages and {'ended' if process.poll() is not None else 'stalled'}")


def _committed_pages(out: Path) -> int:
    state = out / ".cleanpipe" / "state.sqlite"
    if not state.exists():
        return 0
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM pages").fetchone()[0])
        except sqlite3.OperationalError:  # the schema is not there yet
            return 0


def test_a_ray_run_equals_the_local_run(
    corpus: Path, local_outputs: dict[str, str], cluster: Cluster, tmp_path: Path
) -> None:
    out = tmp_path / "ray"
    with RayExecutor(cluster.address) as executor:
        assert executor.parallelism == 2
        summary = run_batch(BatchOptions((corpus,), out), executor=executor)
    assert not ray.is_initialized()  # the executor that connected is the one that disconnects
    assert summary.failed == 0
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["executor"] == "ray"
    assert output_snapshot(out) == local_outputs


def test_the_command_on_a_cluster_that_loses_a_worker_node_midway(
    corpus: Path, local_outputs: dict[str, str], cluster: Cluster, tmp_path: Path
) -> None:
    worker = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    out = tmp_path / "ray"
    process = subprocess.Popen(
        _command(corpus, out, cluster.address), stderr=subprocess.PIPE, text=True, env=_environment()
    )
    written = _wait_for_pages(out, 40, process)
    cluster.remove_node(worker, allow_graceful=False)
    assert written < REPOSTS, "the node should have been removed midway"
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors
    assert output_snapshot(out) == local_outputs


def test_a_driver_killed_midway_resumes_without_redoing_finished_shards(
    corpus: Path, local_outputs: dict[str, str], cluster: Cluster, tmp_path: Path
) -> None:
    out = tmp_path / "ray"
    command = _command(corpus, out, cluster.address)
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=_environment())
    _wait_for_pages(out, 60, process)
    deadline = time.monotonic() + 60
    while _committed_pages(out) < 32 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    committed = _committed_pages(out)
    assert 32 <= committed < REPOSTS, "the driver should have been killed midway"
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300, env=_environment())
    assert resumed.returncode == 0, resumed.stderr
    assert output_snapshot(out) == local_outputs
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["pages"]["skipped"] >= committed and run["pages"]["failed"] == 0
    assert not [path for path in out.rglob("*") if path.name.endswith(".tmp")]


def test_learn_on_the_cluster_writes_the_local_profile(corpus: Path, cluster: Cluster, tmp_path: Path) -> None:
    learn = [sys.executable, "-m", "cleanpipe.cli", "learn", str(corpus)]
    local = subprocess.run([*learn, "-o", str(tmp_path / "local.json"), "-w", "2"], capture_output=True, text=True)
    assert local.returncode == 0, local.stderr
    on_ray = [*learn, "-o", str(tmp_path / "ray.json"), "--executor", "ray", "--ray-address", cluster.address]
    remote = subprocess.run(on_ray, capture_output=True, text=True, timeout=300, env=_environment())
    assert remote.returncode == 0, remote.stderr
    profile = (tmp_path / "ray.json").read_text(encoding="utf-8")
    assert profile == (tmp_path / "local.json").read_text(encoding="utf-8")
    assert any(site["lines"] for site in json.loads(profile)["sites"].values())
    # The options reach the Ray executor: a cluster where nothing answers is a usage error naming it.
    nowhere = [*learn, "-o", str(tmp_path / "no.json"), "--executor", "ray", "--ray-address", "127.0.0.1:9"]
    refused = subprocess.run(nowhere, capture_output=True, text=True, timeout=60, env=_environment())
    assert refused.returncode == 2 and "127.0.0.1:9" in refused.stderr, refused.stderr


DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "ray"


def test_the_ray_deploy_examples_hold_together() -> None:
    """deploy/ray: the `ray up` file passes Ray's own schema, and the RayJob and Slurm examples run
    `cleanpipe run --executor ray` with options the command has."""
    import shlex

    import yaml
    from ray.autoscaler._private.util import prepare_config, validate_config
    from typer.testing import CliRunner

    from cleanpipe.cli import app

    validate_config(prepare_config(yaml.safe_load((DEPLOY / "cluster.yaml").read_text(encoding="utf-8"))))
    job = yaml.safe_load((DEPLOY / "rayjob.yaml").read_text(encoding="utf-8"))
    assert job["kind"] == "RayJob" and job["spec"]["rayClusterSpec"]["workerGroupSpecs"]
    slurm = (DEPLOY / "slurm.sbatch").read_text(encoding="utf-8")
    assert subprocess.run(["bash", "-n", str(DEPLOY / "slurm.sbatch")]).returncode == 0
    known = CliRunner().invoke(app, ["run", "--help"], terminal_width=200).output
    for command in (job["spec"]["entrypoint"], next(line for line in slurm.splitlines() if 'cleanpipe" run' in line)):
        words = shlex.split(command.replace("\\", ""))
        assert "--executor" in words and words[words.index("--executor") + 1] == "ray"
        assert all(word.split("=")[0] in known for word in words if word.startswith("--")), command
