"""No plaintext anywhere it must not go, after good and failing passes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from prometheus_client import generate_latest

from secretsops.engine.logs import JsonFormatter
from tests.helpers import assert_no_canary


def test_canary_never_leaves_memory(harness, canary: str, caplog, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    harness.write_app({"PASSWORD": canary, "OTHER": "x"})
    harness.repo.commit()
    eng = harness.engine()
    results = [eng.run_once()[0]]
    assert results[0].ok and harness.secret()["PASSWORD"] == canary
    # drift healed (re-decrypt from cache), drift reported, then failing passes
    harness.core().patch_namespaced_secret("db", "apps", {"data": {"PASSWORD": "ZXZpbA=="}})
    results += eng.run_once()
    env_path = harness.repo.path / "apps/db.env"
    env_path.write_text(env_path.read_text().replace("OTHER=ENC[", "OTHER=ENC[x", 1))
    harness.repo.commit("tampered")
    results += eng.run_once()
    harness.api.inject("PATCH", r"/secrets/db$", 500, times=10)
    harness.write_app({"PASSWORD": canary + "-2"})
    harness.repo.commit("new value while the API fails")
    results += eng.run_once()
    assert [r.ok for r in results] == [True, True, False, False]

    # files: work dir, the test's tmp dirs, HOME, /dev/shm
    places: list[Path | str | bytes] = [harness.work, tmp_path, Path.home()]
    if Path("/dev/shm").is_dir():
        places.append(Path("/dev/shm"))
    assert_no_canary(canary, *places)
    # logs, with their structured fields, as the JSON formatter writes them
    formatter = JsonFormatter()
    assert_no_canary(canary, "\n".join(formatter.format(r) + repr(r.__dict__) for r in caplog.records))
    # status, Events, pass results, metrics
    core = harness.core()
    cms = core.list_namespaced_config_map("secretsops-system").items
    assert_no_canary(canary, json.dumps([c.to_dict() for c in cms], default=str))
    events = core.list_namespaced_event("secretsops-system").items
    assert events and all(canary not in (e.message or "") for e in events)
    assert_no_canary(canary, repr(results), generate_latest(eng.engine.deps.metrics.registry))
    # every child process the engine started: argv and environment
    assert harness.recorded.calls
    for argv, env in harness.recorded.calls:
        assert_no_canary(canary, " ".join(argv), json.dumps(env))
    # and what survives a pass in memory is fingerprints, not values
    rec = eng.engine.reconcilers[0]
    assert_no_canary(canary, repr(rec.prints), repr(rec.status))
