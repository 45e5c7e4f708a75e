"""Attack tests reuse the engine's world: a real git origin, the Kubernetes API test server, an age key."""

from __future__ import annotations

from tests.engine.conftest import age_key, git_repo, harness, recorded, runner
from tests.gitdrivers.conftest import age_files

__all__ = ["age_files", "age_key", "git_repo", "harness", "recorded", "runner"]
