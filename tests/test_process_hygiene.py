"""The suite's process hygiene (tests/plugins/process_leaks.py) does what it says."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.plugins.process_leaks import _proc, agent_home, gpg_agent_pids, leftovers, stop_agent


def test_a_gpg_agent_started_in_a_test_home_is_found_and_stopped_with_its_home(tmp_path):
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    before = gpg_agent_pids()
    env = {"PATH": os.environ["PATH"], "GNUPGHOME": str(home)}
    subprocess.run(["gpgconf", "--launch", "gpg-agent"], env=env, check=True, capture_output=True)
    started = gpg_agent_pids() - before
    assert len(started) == 1
    agent = _proc(started.pop())
    assert agent is not None and agent_home(agent) == str(home)
    stop_agent(agent)
    assert _proc(agent.pid) is None


def test_a_process_left_running_in_the_session_directory_is_reported(tmp_path_factory):
    basetemp = tmp_path_factory.getbasetemp()
    work = tmp_path_factory.mktemp("leak")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], cwd=work)
    try:
        found = leftovers(basetemp, os.getpid())
        assert proc.pid in {p.pid for p in found}
    finally:
        proc.kill()
        proc.wait()
    assert proc.pid not in {p.pid for p in leftovers(basetemp, os.getpid())}


def test_an_unrelated_process_is_not_reported(tmp_path_factory):
    outside = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        cwd="/",
        env={"PATH": os.environ["PATH"], "HOME": "/nonexistent"},
        start_new_session=True,
    )
    try:
        found = leftovers(tmp_path_factory.getbasetemp(), os.getppid() or 1)
        assert outside.pid not in {p.pid for p in found}
    finally:
        outside.kill()
        outside.wait()
