"""SOPS manifests are verified as sops read them: YAML 1.2 scalars such as ``on`` stay strings."""

from __future__ import annotations

import subprocess
from pathlib import Path

from secretsops.decryptors.base import DecryptContext, run_decryptors
from secretsops.decryptors.sops import SopsDecryptor
from secretsops.engine.render import render_path
from secretsops.keysources.base import KeyContext

MANIFEST = """apiVersion: v1
kind: Secret
metadata:
  name: flags
  namespace: apps
  annotations:
    feature: on
stringData:
  token: tok-1
"""


def test_unquoted_yaml11_boolean_lookalike_verifies_as_sops_reads_it(
    tmp_path: Path, sops_bin: str, age_key  # type: ignore[no-untyped-def]
) -> None:
    plain = tmp_path / "flags.yaml"
    plain.write_text(MANIFEST)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SOPS_AGE_RECIPIENTS": age_key.recipient}
    enc = subprocess.run(
        [sops_bin, "encrypt", "--encrypted-regex", "^(data|stringData)$", str(plain)],
        check=True, capture_output=True, env=env, cwd=tmp_path,
    ).stdout
    plain.unlink()
    # sops writes "on" quoted; a person who unquotes it changes nothing for sops (YAML 1.2).
    assert b'feature: "on"' in enc
    enc = enc.replace(b'feature: "on"', b"feature: on")
    edited = tmp_path / "edited.yaml"
    edited.write_bytes(enc)
    subprocess.run(
        [sops_bin, "decrypt", str(edited)], check=True, capture_output=True,
        env={**env, "SOPS_AGE_KEY": age_key.identity}, cwd=tmp_path,
    )
    edited.unlink()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "flags.yaml").write_bytes(enc)

    items = render_path(repo)
    ctx = DecryptContext(keys=KeyContext(env={"SOPS_AGE_KEY": age_key.identity}))
    (secret,) = [i.obj for i in run_decryptors(items, [SopsDecryptor()], ctx)]

    assert secret["metadata"]["annotations"] == {"feature": "on"}
    assert secret["stringData"] == {"token": "tok-1"}
    assert "sops" not in secret


def test_multi_document_sops_file_is_parsed_and_decrypted_once_per_pass(
    tmp_path: Path, age_key, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    import secretsops.decryptors.sops as sops_decryptor

    docs = [MANIFEST.replace("name: flags", f"name: s{i}") for i in range(3)]
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "all.yaml").write_bytes(b"---\n".join(age_key.encrypt(d) for d in docs))
    calls: list[str] = []
    real = sops_decryptor.decrypt_documents

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("where", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(sops_decryptor, "decrypt_documents", counting)
    ctx = DecryptContext(keys=KeyContext(env={"SOPS_AGE_KEY": age_key.identity}))
    out = [i.obj for i in run_decryptors(render_path(repo), [SopsDecryptor()], ctx)]

    assert [o["metadata"]["name"] for o in out] == ["s0", "s1", "s2"]
    assert all(o["stringData"] == {"token": "tok-1"} for o in out)
    assert len(calls) == 1
