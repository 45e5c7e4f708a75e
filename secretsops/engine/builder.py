"""Wire an Engine from specs and settings: the one place that picks sources and hooks."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secretsops.engine.config import EngineSettings, SourceSpec
from secretsops.engine.dirsource import DirectorySource
from secretsops.engine.leader import start_election
from secretsops.engine.loop import Deps, Engine, Source, SourceReconciler
from secretsops.engine.metrics import EngineMetrics
from secretsops.engine.proc import ProcessRunner
from secretsops.engine.server import start_server
from secretsops.engine.source import GitSource
from secretsops.keysources.base import KeyContext
from secretsops.kube import KubeClient

log = logging.getLogger("secretsops.engine")


def make_source(spec: SourceSpec, runner: ProcessRunner, work_dir: Path | None) -> Source:
    """A local directory that is not a git work tree is read in place; anything else is git."""
    local = Path(spec.url)
    if "://" not in spec.url and local.is_dir():
        if not (local / ".git").exists():
            return DirectorySource(local.resolve())
        return GitSource(str(local.resolve()), spec.ref, runner, spec.verify, work_dir)
    return GitSource(spec.url, spec.ref, runner, spec.verify, work_dir)


@dataclass
class RunningEngine:
    engine: Engine
    settings: EngineSettings

    def run_once(self) -> list[Any]:
        return self.engine.run_once()

    def serve(self) -> None:
        """Run until interrupted, with the metrics server and leader election when configured."""
        is_leader = lambda: True  # noqa: E731
        elector = None
        if self.settings.leader_elect:
            elector = start_election(self.engine, self.settings)
            is_leader = elector.is_leader
        server = None
        if self.settings.metrics_port is not None:
            server = start_server(self.engine, self.settings, elector)
        try:
            self.engine.run_forever(is_leader)
        except KeyboardInterrupt:
            pass
        finally:
            self.engine.stop.set()
            if elector is not None:
                elector.shutdown()
            if server is not None:
                server.close()

    def close(self) -> None:
        self.engine.close()


def build_engine(
    specs: list[SourceSpec],
    settings: EngineSettings,
    kube: KubeClient,
    environ: Mapping[str, str],
    *,
    runner: ProcessRunner | None = None,
    metrics: EngineMetrics | None = None,
) -> RunningEngine:
    runner = runner or ProcessRunner.from_environ(environ)
    deps = Deps(
        kube=kube,
        runner=runner,
        decryptors=load_decryptors_safely(),
        metrics=metrics or EngineMetrics.create(),
        edge_env=KeyContext.from_environ(environ).env,
    )
    reconcilers = [
        SourceReconciler(spec, make_source(spec, runner, settings.work_dir), settings, deps) for spec in specs
    ]
    return RunningEngine(Engine(reconcilers, settings, deps), settings)


def load_decryptors_safely() -> list[Any]:
    """Every decryptor that imports; one that is missing from this install is logged, not fatal."""
    from secretsops.decryptors.registry import decryptors

    return list(
        decryptors().load(
            unavailable=lambda name, _exc: log.warning("decryptor not available", extra={"reason": name})
        )
    )
