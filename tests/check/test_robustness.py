"""No input makes a detector crash, and a crash that does happen fails the gate closed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsops.check import CheckOptions, run_check
from secretsops.check.detectors import default_detectors
from secretsops.check.scanfile import ScanFile

YAMLISH = st.sampled_from(
    ["kind: Secret\n", "apiVersion: v1\n", "stringData:\n", "data:\n", "  pw: x\n", "sops:\n", "  mac: 1\n",
     "- a\n", "users:\n", "secretGenerator:\n", "  - literals: [a=b]\n", "&a [*a]\n", "{", "}", "[", "]",
     "ENC[AES256_GCM,data:,iv:a,tag:b,type:str]\n", "\t", ": ", "'", '"', "\0", "AGE-SECRET-KEY-1", "#"]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["a.yaml", "b.json", "kustomization.yaml", ".env", "c.ini", "kubeconfig", "x.py"]),
    text=st.lists(YAMLISH, max_size=25).map("".join) | st.text(max_size=300),
)
def test_detectors_never_raise_on_arbitrary_text(name, text):
    file = ScanFile(name, text)
    for detector in default_detectors():
        detector.scan(file)


class Exploding:
    def scan(self, file: ScanFile) -> None:
        raise RuntimeError("boom")


def test_a_detector_failure_makes_the_run_fail_closed(repo):
    repo.write("a.yaml", "x: 1\n")
    report = run_check(CheckOptions(root=repo.root, detectors=[Exploding()]))
    assert report.exit_code == 2
    assert report.errors[0].reason == "not fully scanned: Exploding failed (RuntimeError)"
