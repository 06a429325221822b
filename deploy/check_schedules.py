"""Check deploy/'s cron, systemd and Airflow examples, and the exit statuses they rely on, on this machine.

Run through deploy/check.sh, which installs cleanpipe and croniter first. Standard library plus croniter;
every check prints `ok`, `FAIL` or `skip` and what it saw. Exit status 1 when any check failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

RESULTS: list[tuple[str, str]] = []
PROD_VENV, PROD_WORKDIR, PROD_LOGDIR = "/opt/cleanpipe/venv", "/srv/cleanpipe", "/var/log/cleanpipe"
CONTRACT_FLAGS = ["--workers", "--quiet", "--log-format", "--config", "--format", "--force"]
# Run as this user where the examples say "cleanpipe" (a user this machine does not have).
STANDIN_USER = "nobody"


def section(title: str) -> None:
    print(f"\n=== {title}")


def result(status: str, name: str, detail: str = "") -> None:
    RESULTS.append((status, name))
    print(f"[{status}] {name}" + (f"\n{indent(detail)}" if detail else ""))


def check(condition: bool, name: str, detail: str = "") -> bool:
    result("ok" if condition else "FAIL", name, detail)
    return condition


def indent(text: str, prefix: str = "    ") -> str:
    lines = text.rstrip("\n").splitlines() or [""]
    if len(lines) > 40:
        lines = lines[:20] + [f"... ({len(lines) - 40} lines cut) ..."] + lines[-20:]
    return "\n".join(prefix + line for line in lines)


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, errors="replace", **kwargs)  # type: ignore[call-overload]


def tail(process: subprocess.CompletedProcess[str], lines: int = 6) -> str:
    text = (process.stdout or "") + (process.stderr or "")
    return "\n".join(text.rstrip().splitlines()[-lines:])


def as_user(user: str) -> list[str]:
    """Command prefix that runs as `user` with a clean environment (as cron and systemd do), when root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}", "--init-groups", "--"]


def give_to(user: str, *paths: Path) -> None:
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(user)
    for top in paths:
        for path in [top, *top.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)


def make_pages(folder: Path, raw: Path, copies: int = 1, empty: bool = False) -> int:
    """Copy the sample pages into `folder` (`copies` times, in subfolders), plus an empty page if asked."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = [p for p in sorted(raw.iterdir()) if p.suffix in (".txt", ".md", ".html", ".htm")]
    for n in range(copies):
        target = folder if copies == 1 else folder / f"copy{n:04d}"
        target.mkdir(exist_ok=True)
        for page in pages:
            shutil.copy(page, target / page.name)
    if empty:
        (folder / "empty_page.txt").write_bytes(b"")
    return len(pages) * copies + (1 if empty else 0)


def files_in(folder: Path) -> str:
    if not folder.is_dir():
        return f"{folder}: missing"
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    shown = [n for n in names if not n.endswith(".md")]
    return f"{len(names) - len(shown)} .md files; other files: {', '.join(shown) or '(none)'}"


# --- versions ---------------------------------------------------------------------------------------------


def versions(cleanpipe: str, airflow_venv: Path | None) -> None:
    section("tools")
    print(f"python (checker): {sys.version.split()[0]}")
    print(f"cleanpipe: {run([cleanpipe, 'version']).stdout.strip()} ({cleanpipe})")
    print(f"cleanpipe venv python: {run([str(Path(cleanpipe).with_name('python')), '--version']).stdout.strip()}")
    try:
        import croniter

        print(f"croniter: {getattr(croniter, '__version__', None) or _dist_version('croniter')}")
    except ImportError:
        print("croniter: not installed")
    dpkg = run(["dpkg-query", "-W", "-f", "${Version}", "cron"]) if shutil.which("dpkg-query") else None
    print(f"cron (Debian package): {dpkg.stdout.strip() if dpkg and dpkg.returncode == 0 else 'not installed'}")
    analyze = shutil.which("systemd-analyze")
    print(f"systemd-analyze: {run([analyze, '--version']).stdout.splitlines()[0] if analyze else 'not installed'}")
    if airflow_venv:
        version = run([str(airflow_venv / "bin/python"), "-c", "import airflow; print(airflow.__version__)"])
        print(f"apache-airflow: {version.stdout.strip() or tail(version)} ({airflow_venv})")
    else:
        print("apache-airflow: not installed (deploy/check.sh --airflow installs it in its own venv)")


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


# --- exit statuses of the real `cleanpipe run` ------------------------------------------------------------


def exit_statuses(cleanpipe: str, raw: Path, work: Path) -> None:
    section("exit statuses of `cleanpipe run` (the real command, sample pages from data/raw)")
    help_text = run([cleanpipe, "run", "--help"]).stdout
    missing = [flag for flag in CONTRACT_FLAGS if flag not in help_text]
    check(not missing, "run --help lists the contract's flags " + " ".join(CONTRACT_FLAGS), f"missing: {missing}")

    pages, out = work / "exit/pages", work / "exit/out"
    make_pages(pages, raw)
    first = run([cleanpipe, "run", str(pages), "-o", str(out)])
    check(first.returncode == 0, f"sample pages -> exit {first.returncode} (want 0)", tail(first))
    print(indent(f"output folder: {files_in(out)}"))
    again = run([cleanpipe, "run", str(pages), "-o", str(out)])
    check(again.returncode == 0, f"same run again (incremental) -> exit {again.returncode} (want 0)", tail(again, 3))

    bad_pages, bad_out = work / "exit/bad_pages", work / "exit/bad_out"
    make_pages(bad_pages, raw, empty=True)
    partial = run([cleanpipe, "run", str(bad_pages), "-o", str(bad_out)])
    check(partial.returncode == 1, f"sample pages + an empty page -> exit {partial.returncode} (want 1)", tail(partial))
    failed_list = bad_out / "failed.jsonl"
    check(
        failed_list.is_file() and "empty_page" in failed_list.read_text(encoding="utf-8", errors="replace"),
        "the empty page is listed in OUT/failed.jsonl",
        failed_list.read_text(encoding="utf-8")[:400] if failed_list.is_file() else f"{failed_list}: missing",
    )
    check((bad_out / "run.json").is_file(), "OUT/run.json written", files_in(bad_out))

    for name, args in [
        ("an unknown flag", ["run", str(pages), "-o", str(work / "exit/o2"), "--no-such-flag"]),
        ("a missing input folder", ["run", str(work / "no/such/folder"), "-o", str(work / "exit/o3")]),
    ]:
        done = run([cleanpipe, *args])
        check(done.returncode == 2, f"{name} -> exit {done.returncode} (want 2)", tail(done, 3))
    bad_config = work / "exit/bad.toml"
    bad_config.write_text("this is [not toml\n", encoding="utf-8")
    done = run([cleanpipe, "run", str(pages), "-o", str(work / "exit/o4"), "--config", str(bad_config)])
    check(done.returncode == 2, f"a broken --config file -> exit {done.returncode} (want 2)", tail(done, 3))

    # Lock: a long run A, and a run B on the same output while A is still going.
    big, shared_out = work / "exit/big", work / "exit/locked_out"
    count = make_pages(big, raw, copies=150)
    first_run = subprocess.Popen(
        [cleanpipe, "run", "--quiet", str(big), "-o", str(shared_out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(1.5)
    second = run([cleanpipe, "run", "--quiet", str(pages), "-o", str(shared_out)])
    overlapped = first_run.poll() is None
    first_output = first_run.communicate()[0]
    if not overlapped:
        result("skip", f"lock: run A ({count} pages) ended before run B did; cannot tell", tail(second))
    else:
        check(
            second.returncode == 3,
            f"lock: run B on an output folder that run A is writing -> exit {second.returncode} (want 3)",
            "B: " + tail(second, 3) + "\nA (exit " + str(first_run.returncode) + "): " + first_output[-300:],
        )

    # Safe to kill: SIGTERM a run halfway, then run again.
    kill_out = work / "exit/killed_out"
    victim = subprocess.Popen(
        [cleanpipe, "run", "--quiet", str(big), "-o", str(kill_out)],
        stdout=subprocess.DEVNULL,  # not a pipe: processes left behind would keep it open
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, to see whether workers outlive it
    )
    time.sleep(2.0)
    if victim.poll() is None:
        victim.send_signal(signal.SIGTERM)  # to the main process only, like `kill PID`
        try:
            victim.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(2.0)
        survivors = run(["ps", "-o", "pid=,args=", "--sid", str(victim.pid)]).stdout.strip()
        if survivors:
            os.killpg(victim.pid, signal.SIGKILL)  # our own processes: do not leave them running
            victim.wait()
        check(
            not survivors,
            "SIGTERM to the main process (kill PID) ends its worker processes too",
            "still running 2 s after the main process ended (now killed):\n"
            + "\n".join(line[:110] for line in survivors.splitlines()),
        )
        written = len(list(kill_out.rglob("*.md")))
        print(indent(f"run SIGTERMed after 2 s: exit status {victim.returncode}, {written} of {count} pages written"))
        resumed = run([cleanpipe, "run", "--quiet", str(big), "-o", str(kill_out)])
        total = len(list(kill_out.rglob("*.md")))
        leftovers = [p.name for p in kill_out.rglob(".*.tmp")]
        check(
            resumed.returncode == 0 and total == count and not leftovers,
            f"killed run, then run again -> exit {resumed.returncode}, {total}/{count} pages, temp files left: "
            f"{len(leftovers)}",
            tail(resumed, 3),
        )
    else:
        result("skip", "kill test: the run ended within 2 s")


# --- cron ---------------------------------------------------------------------------------------------------


def cron_command_text(command: str) -> tuple[str, str]:
    """What cron runs for a command field: '\\%' becomes '%', and an unescaped '%' ends the command (the rest
    is its standard input, with further '%' as newlines)."""
    out, stdin, i, current = [], None, 0, None
    current = out
    while i < len(command):
        if command[i] == "\\" and command[i + 1 : i + 2] == "%":
            current.append("%")
            i += 2
            continue
        if command[i] == "%":
            if stdin is None:
                stdin = []
                current = stdin
            else:
                current.append("\n")
            i += 1
            continue
        current.append(command[i])
        i += 1
    return "".join(out), "".join(stdin or [])


def parse_cron_d(path: Path) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    env: dict[str, str] = {}
    jobs: list[tuple[str, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        assignment = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", stripped)
        if assignment and not re.match(r"^[\d*@]", stripped):
            env[assignment.group(1)] = assignment.group(2).strip().strip("'\"")
            continue
        fields = stripped.split(None, 6)
        if stripped.startswith("@"):
            fields = stripped.split(None, 2)
            jobs.append((fields[0], fields[1], fields[2]))
        else:
            jobs.append((" ".join(fields[:5]), fields[5], fields[6]))
    return env, jobs


def check_cron(cron_file: Path, cleanpipe: str, raw: Path, work: Path) -> None:
    section(f"cron: {cron_file}")
    text = cron_file.read_text(encoding="utf-8")
    check(
        "." not in cron_file.name and text.endswith("\n"),
        "file name has no dot and the file ends with a newline (both required in /etc/cron.d)",
    )
    env, jobs = parse_cron_d(cron_file)
    if not check(len(jobs) == 1, f"one job line (found {len(jobs)}); environment: {env}"):
        return
    schedule, user, command = jobs[0]
    print(indent(f"schedule: {schedule!r}  user: {user!r}"))

    from croniter import croniter

    valid = croniter.is_valid(schedule)
    base = dt.datetime.now().astimezone()
    detail = ""
    if valid:
        iterator = croniter(schedule, base)
        detail = "next runs: " + ", ".join(iterator.get_next(dt.datetime).isoformat() for _ in range(3))
    check(valid, f"croniter parses {schedule!r}", detail)

    # Debian's own crontab parser: install the line (user field dropped) for user nobody, read it back, remove.
    crontab = shutil.which("crontab")
    if crontab and os.geteuid() == 0:
        existing = run([crontab, "-u", STANDIN_USER, "-l"])
        if existing.returncode == 0:
            result("skip", f"Debian crontab parser: user {STANDIN_USER} already has a crontab; left alone")
        else:
            user_format = work / "cron/user-crontab"
            user_format.parent.mkdir(parents=True, exist_ok=True)
            body = [f"{k}={v}" for k, v in env.items()] + [f"{schedule} {command}"]
            user_format.write_text("\n".join(body) + "\n", encoding="utf-8")
            installed = run([crontab, "-u", STANDIN_USER, str(user_format)])
            listed = run([crontab, "-u", STANDIN_USER, "-l"])
            run([crontab, "-u", STANDIN_USER, "-r"])
            check(
                installed.returncode == 0 and f"{schedule} {command}" in listed.stdout,
                "Debian's crontab(1) accepts the line (installed for nobody, read back, removed)",
                tail(installed) or "crontab -l gave the line back unchanged",
            )
            bad = work / "cron/bad-crontab"
            bad.write_text("61 2 * * * true\n", encoding="utf-8")
            refused = run([crontab, "-u", STANDIN_USER, str(bad)])
            run([crontab, "-u", STANDIN_USER, "-r"])
            check(refused.returncode != 0, "control: crontab(1) refuses a bad minute (61)", tail(refused, 2))
    else:
        result("skip", "Debian crontab parser: needs root and the cron package")

    # The command itself, as cron would run it: /bin/sh -c, bare environment plus the file's assignments,
    # as the job's user, with the production paths swapped for temporary ones.
    venv = str(Path(cleanpipe).parent.parent)
    root = work / "cron/srv"
    logdir = work / "cron/log"
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(logdir, ignore_errors=True)
    make_pages(root / "raw", raw)
    logdir.mkdir(parents=True)
    give_to(STANDIN_USER, root, logdir)
    local_env = {k: v.replace(PROD_VENV, venv) for k, v in env.items() if k != "MAILTO"}
    shell_command, stdin = cron_command_text(
        command.replace(PROD_VENV, venv).replace(PROD_WORKDIR, str(root)).replace(PROD_LOGDIR, str(logdir))
    )
    base_env = {"HOME": "/", "LOGNAME": STANDIN_USER, "SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", **local_env}
    print(indent("runs: " + shell_command))

    def cron_run() -> subprocess.CompletedProcess[str]:
        shell = local_env.get("SHELL", "/bin/sh")
        return run([*as_user(STANDIN_USER), shell, "-c", shell_command], env=base_env, input=stdin, cwd="/")

    done = cron_run()
    log_text = (logdir / "cleanpipe.log").read_text(encoding="utf-8", errors="replace")
    check(
        done.returncode == 0 and not done.stdout and "exited 0" in log_text,
        f"cron command as {STANDIN_USER}: nothing on stdout (nothing mailed), log ends 'exited 0'",
        "stdout: " + repr(done.stdout) + f"\nlog {logdir / 'cleanpipe.log'}:\n" + log_text,
    )
    print(indent(f"{root / 'clean'}: {files_in(root / 'clean')}"))
    (root / "raw/empty_page.txt").write_bytes(b"")
    give_to(STANDIN_USER, root)
    done = cron_run()
    check(
        "exited 1" in done.stdout,
        "with an empty page: the job prints one line (what cron mails)",
        "stdout: " + done.stdout.strip(),
    )


# --- systemd ------------------------------------------------------------------------------------------------


def unit_values(path: Path) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def check_systemd(service: Path, timer: Path, cleanpipe: str, raw: Path, work: Path) -> None:
    section(f"systemd: {service.name}, {timer.name}")
    analyze = shutil.which("systemd-analyze")
    timer_values = unit_values(timer)
    calendar = timer_values["OnCalendar"][0]
    if not analyze:
        result("skip", "systemd-analyze not installed (apt-get install systemd)")
    else:
        done = run([analyze, "calendar", "--iterations=3", calendar])
        check(done.returncode == 0, f"systemd-analyze calendar {calendar!r}", done.stdout + done.stderr)
        check(
            timer_values.get("Persistent") == ["true"] and bool(timer_values.get("RandomizedDelaySec")),
            f"timer: Persistent={timer_values.get('Persistent')}, "
            f"RandomizedDelaySec={timer_values.get('RandomizedDelaySec')}",
        )

        shipped = run([analyze, "verify", "--man=no", str(service), str(timer)])
        binary = PROD_VENV + "/bin/cleanpipe"
        complaints = [line for line in (shipped.stdout + shipped.stderr).splitlines() if line.strip()]
        other = [line for line in complaints if binary not in line]
        check(
            not other,
            f"systemd-analyze verify, units as shipped: only complaint is a missing {binary}, if missing",
            "\n".join(complaints) or "(no output)",
        )

        # Same units with ExecStart pointing at an installed cleanpipe and an existing WorkingDirectory.
        units = work / "systemd/units"
        shutil.rmtree(units, ignore_errors=True)
        units.mkdir(parents=True)
        root = work / "systemd/srv"
        root.mkdir(parents=True, exist_ok=True)
        venv = str(Path(cleanpipe).parent.parent)
        for unit in (service, timer):
            (units / unit.name).write_text(
                unit.read_text(encoding="utf-8").replace(PROD_VENV, venv).replace(PROD_WORKDIR, str(root)),
                encoding="utf-8",
            )
        done = run([analyze, "verify", "--man=no", str(units / service.name), str(units / timer.name)])
        check(
            done.returncode == 0 and not (done.stdout + done.stderr).strip(),
            f"systemd-analyze verify with ExecStart={venv}/bin/cleanpipe: exit {done.returncode}, no complaints",
            (done.stdout + done.stderr) or "(no output)",
        )

        # Control: verify does complain about a broken unit.
        broken = work / "systemd/broken"
        shutil.rmtree(broken, ignore_errors=True)
        broken.mkdir(parents=True)
        (broken / service.name).write_text(
            (units / service.name)
            .read_text(encoding="utf-8")
            .replace("\nType=oneshot\n", "\nType=oneshot\nRestart=sometimes\n"),
            encoding="utf-8",
        )
        (broken / timer.name).write_text(
            (units / timer.name).read_text(encoding="utf-8").replace(calendar, "*-*-* 25:30:00"), encoding="utf-8"
        )
        done = run([analyze, "verify", "--man=no", str(broken / service.name), str(broken / timer.name)])
        said = (done.stdout + done.stderr).lower()
        check(
            "restart specifier" in said and "calendar specification" in said and done.returncode != 0,
            "control: verify reports Restart=sometimes and OnCalendar=*-*-* 25:30:00",
            done.stdout + done.stderr,
        )

    # What systemd cannot do here (no systemd as PID 1): start the unit. Run its ExecStart the way the unit
    # says instead: as a non-root user, in WorkingDirectory, with a bare environment.
    values = unit_values(service)
    exec_start = values["ExecStart"][0].replace(PROD_VENV, str(Path(cleanpipe).parent.parent))
    root = work / "systemd/srv"
    shutil.rmtree(root, ignore_errors=True)
    make_pages(root / "raw", raw)
    give_to(STANDIN_USER, root)
    workdir = values["WorkingDirectory"][0].replace(PROD_WORKDIR, str(root))
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    done = run([*as_user(STANDIN_USER), *shlex.split(exec_start)], cwd=workdir, env=env)
    check(
        done.returncode == 0,
        f"ExecStart run by hand as {STANDIN_USER} (stand-in for User={values['User'][0]}) in WorkingDirectory "
        f"-> exit {done.returncode}",
        f"{exec_start}\n" + tail(done) + f"\n{root / 'clean'}: {files_in(root / 'clean')}",
    )
    success = {0} | {int(s) for v in values.get("SuccessExitStatus", []) for s in v.split() if s.isdigit()}
    prevent = {int(s) for v in values.get("RestartPreventExitStatus", []) for s in v.split() if s.isdigit()}
    restart = values.get("Restart", ["no"])[0]
    table = []
    for status in (0, 1, 2, 3):
        outcome = "success" if status in success else "failed"
        again = outcome == "failed" and restart in ("on-failure", "always") and status not in prevent
        table.append(f"exit {status}: unit {outcome}" + (", restarted" if again else ""))
    print(indent("what the unit's settings make of each status: " + "; ".join(table)))


# --- Airflow ------------------------------------------------------------------------------------------------


def check_airflow(
    dag_file: Path, helper: Path, airflow_venv: Path | None, cleanpipe: str, raw: Path, work: Path
) -> None:
    section(f"Airflow: {dag_file}")
    if airflow_venv is None:
        cfile = str(work / "dag.pyc")  # not beside the DAG
        code = f"import py_compile; py_compile.compile({str(dag_file)!r}, cfile={cfile!r}, doraise=True)"
        done = run([sys.executable, "-c", code])
        check(done.returncode == 0, "py_compile (Airflow is not installed here: nothing more checked)", tail(done))
        return
    home = work / "airflow/home"
    shutil.rmtree(work / "airflow", ignore_errors=True)
    root = work / "airflow/srv"
    make_pages(root / "raw", raw)
    home.mkdir(parents=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dag_file.parent),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONDONTWRITEBYTECODE": "1",
        "CLEANPIPE_BIN": cleanpipe,
        "CLEANPIPE_WORKDIR": str(root),
    }
    python = str(airflow_venv / "bin/python")
    done = run([python, str(helper), str(dag_file), cleanpipe, str(raw), str(work / "airflow/mapping")], env=env)
    for line in done.stdout.splitlines():
        if line.startswith(("ok ", "FAIL ")):
            status, _, name = line.partition(" ")
            result(status, name)
        else:
            print(indent(line))
    if done.returncode not in (0, 1):
        result("FAIL", "the Airflow helper itself crashed", tail(done, 20))

    migrated = run([str(airflow_venv / "bin/airflow"), "db", "migrate"], env=env, timeout=600)
    if not check(
        migrated.returncode == 0, "airflow db migrate (SQLite in a temporary AIRFLOW_HOME)", tail(migrated, 3)
    ):
        return
    tested = run([str(airflow_venv / "bin/airflow"), "dags", "test", "cleanpipe_nightly"], env=env, timeout=900)
    log = tested.stdout + tested.stderr
    picked = [
        re.sub(r"\s+\[[\w.]+\].*$", "", line)
        for line in log.splitlines()
        if "cleanpipe:" in line or "DagRun Finished" in line or "new_state=" in line
    ]
    check(
        tested.returncode == 0 and "state=success" in log.replace(" ", "") and (root / "clean").is_dir(),
        f"airflow dags test cleanpipe_nightly -> exit {tested.returncode}, run state success, pages written",
        "\n".join(line[:220] for line in picked[-12:]) + f"\n{root / 'clean'}: {files_in(root / 'clean')}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cleanpipe", required=True, help="the cleanpipe executable to test")
    parser.add_argument("--work", required=True, type=Path, help="scratch folder (emptied)")
    parser.add_argument("--repo", required=True, type=Path)
    parser.add_argument("--airflow-venv", type=Path)
    args = parser.parse_args()
    deploy = args.repo / "deploy"
    raw = args.repo / "data/raw"
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    os.chmod(args.work, 0o755)

    versions(args.cleanpipe, args.airflow_venv)
    exit_statuses(args.cleanpipe, raw, args.work)
    check_cron(deploy / "cron/cleanpipe", args.cleanpipe, raw, args.work)
    check_systemd(
        deploy / "systemd/cleanpipe.service", deploy / "systemd/cleanpipe.timer", args.cleanpipe, raw, args.work
    )
    check_airflow(
        deploy / "airflow/cleanpipe_dag.py",
        deploy / "check_airflow_dag.py",
        args.airflow_venv,
        args.cleanpipe,
        raw,
        args.work,
    )

    section("summary")
    failed = [name for status, name in RESULTS if status == "FAIL"]
    skipped = [name for status, name in RESULTS if status == "skip"]
    print(f"{len(RESULTS) - len(failed) - len(skipped)} ok, {len(failed)} FAIL, {len(skipped)} skip")
    for name in failed:
        print(f"  FAIL: {name}")
    for name in skipped:
        print(f"  skip: {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
