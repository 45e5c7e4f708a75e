"""A server that accepts connections and never answers must not hang a key source."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from secretsops.errors import TemporaryKeySourceError
from secretsops.keysources import awskms, vault
from secretsops.keysources.awskms import KmsKeySource
from secretsops.keysources.base import KeyContext
from secretsops.keysources.vault import VaultTransitKeySource

ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A loopback port that accepts TCP connections and never sends a byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    t.join()
    for c in held:
        c.close()
    srv.close()


def test_kms_gives_up_on_a_silent_endpoint(black_hole, monkeypatch):
    monkeypatch.setattr(awskms, "READ_TIMEOUT", 0.3)
    monkeypatch.setattr(awskms, "MAX_ATTEMPTS", 2)
    env = {"AWS_ENDPOINT_URL": black_hole, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
    start = time.monotonic()
    with pytest.raises(TemporaryKeySourceError, match="unreachable"):
        KmsKeySource(ARN, enc="AAAA").unwrap(KeyContext(env=env))
    assert time.monotonic() - start < 10


def test_vault_gives_up_on_a_silent_server(black_hole, monkeypatch):
    monkeypatch.setattr(vault, "TIMEOUT", 0.3)
    start = time.monotonic()
    with pytest.raises(TemporaryKeySourceError, match="unreachable"):
        VaultTransitKeySource(black_hole, "transit", "k", enc="vault:v1:x").unwrap(
            KeyContext(env={"VAULT_TOKEN": "t"})
        )
    assert time.monotonic() - start < 10
