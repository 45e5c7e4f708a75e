"""Disaster recovery: the time from `secretsops bootstrap` on a fresh cluster to all Secrets Ready.

Runs the scenario of tests/bootstrap/test_rebuild.py (tests/bootstrap/scenario.py) on two private
control planes (etcd + kube-apiserver from the pinned tools) and a real OpenBao dev server:
cluster A installed (first install, 4096-bit sealing key), filled with SOPS Secrets, SealedSecrets
and ExternalSecrets, backed up and destroyed; cluster B refused without the backup, then rebuilt
with it. Measured on B, each step a child process as an operator runs it:

- refused: `bootstrap` without the backup (preflight names what does not open; nothing applied);
- bootstrap: `bootstrap --backup --identity --run-once` (keys restored, deploy/ applied, the first
  engine pass: every SOPS, sealed and external Secret of the repository written);
- controller: `controller --once` opening a hand-applied SealedSecret with the restored keys;
- ready: bootstrap start to the controller's end (all Secrets there, compared by fingerprint);
- again: a second `bootstrap` (no change: every object's resourceVersion the same).

Wall times follow the machine's load (the control planes, OpenBao and git share it); the CPU
seconds of the bootstrap and controller processes themselves are reported beside them.

`--extra N` adds N more of each kind (SOPS, SealedSecret, ExternalSecret) to the repository.

Run:  python benchmarks/bench_rebuild.py [--runs 3] [--extra 0] [--extra 100]
Needs the pinned tools (bash scripts/install-tools.sh) and the test extras (OpenBao CLI).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from secretsops_devstack.services import openbao_dev  # noqa: E402
from tests.bootstrap.scenario import Rebuild, run_rebuild  # noqa: E402

STEPS = ("seconds_refused", "seconds_bootstrap", "seconds_controller", "seconds_to_ready", "seconds_again")
CPU = ("cpu_bootstrap", "cpu_controller", "cpu_again")


def check(rb: Rebuild) -> None:
    """A timing only counts when the rebuild was right."""
    assert rb.secrets_b == rb.secrets_a, "rebuilt Secrets differ from the lost cluster's"
    assert rb.refused is not None and rb.refused.returncode != 0, "bootstrap without the backup did not fail"
    assert rb.after_refusal == rb.before_refusal, "bootstrap without the backup wrote something"
    assert rb.changed_by_again == [], "a second bootstrap changed objects"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="scenarios per scale (median reported)")
    parser.add_argument("--extra", type=int, action="append", help="extra objects of each kind (repeatable)")
    parser.add_argument("--key-size", type=int, default=4096, help="sealing key size of the first install")
    args = parser.parse_args()
    scales = args.extra or [0]
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        with openbao_dev(log=Path(tmp) / "bao.log") as bao:
            print(
                "| repository | protected objects | refused (s) | bootstrap --run-once (s) "
                "| controller --once (s) | bootstrap to all Ready (s) | second bootstrap (s) "
                "| CPU: bootstrap / controller / second (s) |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for extra in scales:
                runs = []
                for i in range(args.runs):
                    work = Path(tmp) / f"x{extra}-{i}"
                    work.mkdir()
                    rb = run_rebuild(work, bao, extra=extra, key_size=args.key_size)
                    check(rb)
                    runs.append(rb)
                    print(
                        f"# run {i + 1}: "
                        + ", ".join(
                            f"{s.removeprefix('seconds_')}={getattr(rb, s):.2f}" for s in STEPS + CPU
                        ),
                        file=sys.stderr,
                    )
                median = {s: statistics.median(getattr(r, s) for r in runs) for s in STEPS + CPU}
                print(
                    f"| {len(runs[0].secrets_b)} Secrets (+{extra} of each kind) "
                    f"| {runs[0].protected_objects} " + "".join(f"| {median[s]:.2f} " for s in STEPS) + "|"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
