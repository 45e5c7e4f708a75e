"""A SOPS object from a remote base: what happens is exactly what docs/kustomize.md says.

The remote file is served on 127.0.0.1 (kustomize fetches ``http://`` resources itself).
secretsops never fetches it, so there is no origin file to compare with: the object opens only
when kustomize left every value and the order of every field as sops encrypted it (rare: kustomize
sorts fields); a reordered or transformed one fails, naming the base and the fix.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import new_canary
from tests.kustomize_paths.conftest import Env, objects, secret, write


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_object_kustomize_left_as_encrypted_opens_with_its_mac(env: Env, tmp_path: Path, served) -> None:  # type: ignore[no-untyped-def]
    root, url = served
    canary = new_canary()
    # fields already in the order kustomize prints them: every value reaches the MAC unchanged
    doc = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  PASSWORD: {canary}\n"
    env.encrypt(root / "secret.enc.yaml", doc)
    write(tmp_path / "app/kustomization.yaml", f"resources:\n- {url}/secret.enc.yaml\n")
    done = env.render("app", tmp_path)
    assert done.returncode == 0, done.stderr
    assert objects(done.stdout)["Secret/db"]["stringData"] == {"PASSWORD": canary}


def test_a_reordered_or_transformed_object_from_a_remote_base_fails_naming_the_base(
    env: Env, tmp_path: Path, served
) -> None:  # type: ignore[no-untyped-def]
    root, url = served
    env.encrypt(root / "secret.enc.yaml", secret("db", new_canary()))
    write(tmp_path / "app/kustomization.yaml", f"namespace: prod\nresources:\n- {url}/secret.enc.yaml\n")
    done = env.render("app", tmp_path)
    assert done.returncode != 0 and done.stdout == ""
    assert "MAC mismatch" in done.stderr
    assert f"came from the remote base {url}/secret.enc.yaml" in done.stderr
    assert "vendor the base" in done.stderr
