"""No process a test started outlives the suite.

Two parts:

* ``gpg_agents_stopped`` (autouse): gpg starts a ``gpg-agent`` daemon per GnuPG home on first use,
  and it detaches, so nothing waits for it. Every agent that appeared during a test is stopped in
  that test's teardown the way GnuPG wants it: ``gpgconf --homedir H --kill all`` with the agent's
  own home.
* the session-end check: after every fixture is torn down, any process still running that belongs
  to the suite (a child of pytest, or a process whose working directory, command line or
  ``HOME`` points into this session's temporary directory, which every test's ``HOME`` is, see
  ``hermetic_env``) is reported, stopped, and fails the run.

Only ``/proc`` is read (Linux); nothing here looks at environment values other than ``HOME``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROC = Path("/proc")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    name: str
    argv: tuple[str, ...]

    def describe(self) -> str:
        return f"pid {self.pid} ({self.name}): {' '.join(self.argv)[:200]}"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process ended, or is not ours
        return b""


def _proc(pid: int) -> Proc | None:
    stat = _read(PROC / str(pid) / "stat").decode(errors="replace")
    if not stat:
        return None
    name = stat[stat.find("(") + 1 : stat.rfind(")")]
    fields = stat[stat.rfind(")") + 2 :].split()
    if not fields or fields[0] == "Z":  # a zombie has exited already; its parent reaps it
        return None
    argv = tuple(a.decode(errors="replace") for a in _read(PROC / str(pid) / "cmdline").split(b"\0") if a)
    return Proc(pid, int(fields[1]), name, argv)


def processes() -> list[Proc]:
    out = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            p = _proc(int(entry.name))
            if p is not None:
                out.append(p)
    return out


def _home_of(pid: int) -> str:
    for item in _read(PROC / str(pid) / "environ").split(b"\0"):
        if item.startswith(b"HOME="):
            return item[5:].decode(errors="replace")
    return ""


def _cwd_of(pid: int) -> str:
    try:
        return os.readlink(PROC / str(pid) / "cwd")
    except OSError:
        return ""


# --- gpg-agent ---------------------------------------------------------------------------------


def gpg_agent_pids() -> set[int]:
    """Running gpg-agents by pid; reads only each process's ``comm`` (this runs around every test)."""
    out = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/comm", "rb") as f:
                    if f.read() == b"gpg-agent\n":
                        out.add(int(name))
            except OSError:
                continue
    return out


def agent_home(agent: Proc) -> str | None:
    """The GnuPG home an agent serves: ``--homedir`` as gpg starts it, else ``$HOME/.gnupg``."""
    argv = list(agent.argv)
    for i, arg in enumerate(argv):
        if arg == "--homedir" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--homedir="):
            return arg.split("=", 1)[1]
    home = _home_of(agent.pid)
    return str(Path(home) / ".gnupg") if home else None


def stop_agent(agent: Proc) -> None:
    home = agent_home(agent)
    if home:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False)
    if not _wait_gone({agent.pid}, timeout=5.0):
        _terminate([agent.pid])


def _inside(path: str | None, root: Path) -> bool:
    return bool(path) and (str(path) + os.sep).startswith(str(root.resolve()) + os.sep)


@pytest.fixture(autouse=True)
def gpg_agents_stopped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Stop every gpg-agent that appeared during the test for a GnuPG home of this session (only
    those: other sessions and users run on the same machine), with that home."""
    before = gpg_agent_pids()
    yield
    root = tmp_path_factory.getbasetemp()
    for pid in gpg_agent_pids() - before:
        agent = _proc(pid)
        if agent is not None and _inside(agent_home(agent), root):
            stop_agent(agent)


# --- the session-end check -----------------------------------------------------------------------


def _wait_gone(pids: set[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        alive = {pid for pid in pids if _proc(pid) is not None}
        if not alive:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _terminate(pids: list[int]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        if _wait_gone(set(pids), timeout=3.0):
            return


def _ancestors(pid: int) -> set[int]:
    out = set()
    while pid > 1:
        out.add(pid)
        p = _proc(pid)
        if p is None:
            break
        pid = p.ppid
    return out


def leftovers(basetemp: Path, me: int) -> list[Proc]:
    """Processes of this session still running: pytest's children, or anything whose cwd, argv or
    HOME is inside the session's temporary directory."""
    root = str(basetemp.resolve()) + os.sep
    mine = _ancestors(me)
    found = []
    for p in processes():
        if p.pid in mine:
            continue
        inside = (
            p.ppid == me
            or (_cwd_of(p.pid) + os.sep).startswith(root)
            or any(root in a + os.sep for a in p.argv)
            or (_home_of(p.pid) + os.sep).startswith(root)
        )
        if inside:
            found.append(p)
    return found


def _is_xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", 0)) and not hasattr(config, "workerinput")


_LEAKS = pytest.StashKey[list[str]]()


def _report(session: pytest.Session, lines: list[str]) -> None:
    config = session.config
    text = "\n".join(["processes started by the test suite outlived it (now stopped):", *lines])
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write("\n")  # after the progress line
        reporter.write_line(text, red=True)
    else:
        print(text, file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist controller: collect what each worker found (its exit status does not reach us)."""
    found = getattr(node, "workeroutput", {}).get("process_leaks")
    config = getattr(node, "config", None)
    if found and config is not None:
        config.stash.setdefault(_LEAKS, []).extend(found)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Runs after every fixture's teardown (the runner tears the session down first)."""
    config = session.config
    if _is_xdist_controller(config):
        if config.stash.get(_LEAKS, []):
            _report(session, config.stash[_LEAKS])
        return
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None or not PROC.is_dir():
        return
    left = leftovers(factory.getbasetemp(), os.getpid())
    if left and not _wait_gone({p.pid for p in left}, timeout=5.0):
        left = [p for p in left if _proc(p.pid) is not None]
        _terminate([p.pid for p in left])
        lines = [f"  {p.describe()}" for p in left]
        workeroutput = getattr(config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller reports and fails the run
            workeroutput["process_leaks"] = lines
        else:
            _report(session, lines)
