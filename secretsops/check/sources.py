"""Where the bytes to scan come from: the work tree, the index, history, or stdin.

Each source yields ``Item``s (a path, its bytes or a reason it could not be read, and the
commit it was first seen in) and can read another file of the same snapshot, which the
kustomize detector needs for the files a secretGenerator points at.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from secretsops.check import gitio
from secretsops.errors import CheckError

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    path: str
    data: bytes | None = None
    note: str = ""
    commit: str = ""


class Source:
    """Base: subclasses implement ``items`` and ``read_sibling``."""

    root: Path
    max_size: int = DEFAULT_MAX_FILE_SIZE
    #: paths to leave out before reading them (the scanner sets this from the excludes)
    skip: Callable[[str], bool] = staticmethod(lambda _path: False)

    def items(self) -> Iterator[Item]:
        raise NotImplementedError

    def count(self) -> int | None:
        return None

    def read_sibling(self, path: str, commit: str = "") -> str | None:
        raise NotImplementedError

    def read_worktree(self, path: str) -> str | None:
        """A file of the work tree under ``root`` (configs are always read from there)."""
        full = (self.root / path).resolve()
        if not full.is_relative_to(self.root.resolve()) or not full.is_file():
            return None
        try:
            return full.read_text("utf-8", "replace")
        except OSError:
            return None


class WorktreeSource(Source):
    """Files git tracks plus untracked, not-ignored ones (every file when not in a repo)."""

    def __init__(self, root: Path, paths: list[str], in_git: bool, max_size: int) -> None:
        self.root, self.paths, self.in_git, self.max_size = root, paths, in_git, max_size
        self._list: list[str] | None = None

    def _listing(self) -> list[str]:
        if self._list is None:
            if self.in_git:
                out = gitio.git(self.root, "ls-files", "-co", "--exclude-standard", "-z", "--", *self.paths)
                listed = {p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}
                # a file named on the command line is scanned even when .gitignore hides it
                listed.update(
                    p for p in self.paths if (self.root / p).is_file() or (self.root / p).is_symlink()
                )
                self._list = sorted(p for p in listed if not self.skip(p))
            else:
                self._list = sorted(p for p in self._walk() if not self.skip(p))
        return self._list

    def _walk(self) -> Iterator[str]:
        starts = [self.root / p for p in self.paths] or [self.root]
        for start in starts:
            if start.is_file() or start.is_symlink():
                yield start.relative_to(self.root).as_posix()
                continue
            for dirpath, dirnames, filenames in os.walk(start):
                dirnames[:] = [d for d in dirnames if d != ".git"]
                for name in filenames:
                    yield (Path(dirpath) / name).relative_to(self.root).as_posix()

    def count(self) -> int | None:
        return len(self._listing())

    def items(self) -> Iterator[Item]:
        yield from self.read(self._listing())

    def read(self, paths: list[str]) -> Iterator[Item]:
        """The items of ``paths`` (relative to root): one lstat and one read per file."""
        root = self.root.resolve()
        base = str(self.root)
        for rel in paths:
            full = os.path.join(base, rel)
            try:
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    target = Path(full).resolve()
                    if not target.is_relative_to(root):
                        yield Item(rel, note="symlink to outside the repository, not followed")
                    continue  # a link inside the repo: its target is scanned as itself
                if not stat.S_ISREG(st.st_mode):
                    continue
                if st.st_size > self.max_size:
                    yield Item(rel, note=f"larger than {self.max_size} bytes, skipped")
                    continue
                yield Item(rel, Path(full).read_bytes())
            except OSError as exc:
                yield Item(rel, note=f"cannot read ({exc.strerror or 'error'})")

    def listing(self) -> list[str]:
        """Every path this source will yield, in order (for splitting the work)."""
        return self._listing()

    def read_sibling(self, path: str, commit: str = "") -> str | None:
        return self.read_worktree(path)


class StagedSource(Source):
    """The staged blobs (what the commit will contain), not the work-tree files."""

    def __init__(self, root: Path, paths: list[str], max_size: int) -> None:
        self.root, self.paths, self.max_size = root, paths, max_size
        self._entries: list[tuple[str, str]] | None = None

    def _staged(self) -> list[tuple[str, str]]:
        if self._entries is None:
            index = {}
            out = gitio.git(self.root, "ls-files", "-s", "-z", "--", *self.paths)
            for record in out.decode("utf-8", "surrogateescape").split("\0"):
                if not record:
                    continue
                meta, path = record.split("\t", 1)
                mode, oid, _stage = meta.split()
                if mode in ("100644", "100755"):
                    index[path] = oid
            if not self.paths and gitio.has_head(self.root):
                diff = gitio.git(self.root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRT")
                changed = set(diff.decode("utf-8", "surrogateescape").split("\0"))
                index = {p: o for p, o in index.items() if p in changed}
            self._entries = sorted((p, o) for p, o in index.items() if not self.skip(p))
        return self._entries

    def count(self) -> int | None:
        return len(self._staged())

    def items(self) -> Iterator[Item]:
        entries = self._staged()
        by_oid: dict[str, list[str]] = {}
        for path, oid in entries:
            by_oid.setdefault(oid, []).append(path)
        for oid, data in gitio.cat_blobs(self.root, list(by_oid)):
            for path in by_oid[oid]:
                if data is None:
                    yield Item(path, note="staged blob missing from the object store")
                elif len(data) > self.max_size:
                    yield Item(path, note=f"larger than {self.max_size} bytes, skipped")
                else:
                    yield Item(path, data)

    def read_sibling(self, path: str, commit: str = "") -> str | None:
        out = gitio.git(self.root, "cat-file", "blob", f":{path}", check=False)
        return out.decode("utf-8", "replace") if out else None


class HistorySource(Source):
    """Every blob reachable from any ref (or new since REV), each scanned once."""

    def __init__(self, root: Path, since: str | None, max_size: int, paths: list[str] | None = None) -> None:
        self.root, self.since, self.max_size = root, since, max_size
        self.paths = [p.rstrip("/") for p in paths or []]
        self._blobs: list[tuple[str, str]] | None = None
        self._first_commit: dict[str, str] = {}

    def _list(self) -> list[tuple[str, str]]:
        if self._blobs is not None:
            return self._blobs
        if self.since is not None:
            if not gitio.git(
                self.root, "rev-parse", "--verify", "-q", f"{self.since}^{{commit}}", check=False
            ):
                raise CheckError(f"--since: unknown revision {self.since!r}")
            revs = [f"{self.since}..HEAD"]
        else:
            revs = ["--all"]
        if not gitio.has_head(self.root) and self.since is None:
            self._blobs = []
            return self._blobs
        out = gitio.git(self.root, "rev-list", "--objects", "--filter=object:type=blob", *revs)
        seen: dict[str, str] = {}
        for line in out.decode("utf-8", "surrogateescape").splitlines():
            oid, _, path = line.partition(" ")
            if path and oid not in seen and self._wanted(path) and not self.skip(path):
                seen[oid] = path
        log = gitio.git(
            self.root, "log", "--reverse", "--raw", "--no-abbrev", "--no-renames", "--format=C %H", *revs
        )
        commit = ""
        order: dict[str, int] = {}
        for line in log.decode("utf-8", "surrogateescape").splitlines():
            if line.startswith("C "):
                commit = line[2:]
            elif line.startswith(":"):
                fields = line.split("\t", 1)[0].split()
                if len(fields) >= 4 and fields[3] in seen and fields[3] not in self._first_commit:
                    self._first_commit[fields[3]] = commit
                    order[fields[3]] = len(order)
        # by path, then oldest first: a secret kept across versions is reported where it began
        self._blobs = sorted(seen.items(), key=lambda kv: (kv[1], order.get(kv[0], len(order))))
        return self._blobs

    def _wanted(self, path: str) -> bool:
        return not self.paths or any(path == p or path.startswith(p + "/") for p in self.paths)

    def count(self) -> int | None:
        return len(self._list())

    def items(self) -> Iterator[Item]:
        blobs = self._list()
        paths = dict(blobs)
        for oid, data in gitio.cat_blobs(self.root, [oid for oid, _ in blobs]):
            path, commit = paths[oid], self._first_commit.get(oid, "")
            if data is None:
                yield Item(path, note="blob missing from the object store", commit=commit)
            elif len(data) > self.max_size:
                yield Item(path, note=f"larger than {self.max_size} bytes, skipped", commit=commit)
            else:
                yield Item(path, data, commit=commit)

    def read_sibling(self, path: str, commit: str = "") -> str | None:
        out = gitio.git(self.root, "cat-file", "blob", f"{commit or 'HEAD'}:{path}", check=False)
        return out.decode("utf-8", "replace") if out else None


class StdinSource(Source):
    """``secretsops check -``: a rendered stream (helm template, kustomize build) on stdin."""

    def __init__(self, root: Path, data: bytes, max_size: int) -> None:
        self.root, self.data, self.max_size = root, data, max_size

    def count(self) -> int | None:
        return 1

    def items(self) -> Iterator[Item]:
        data = self.data
        if len(data) > self.max_size:
            yield Item("<stdin>", note=f"larger than {self.max_size} bytes, skipped")
        else:
            yield Item("<stdin>", data)

    def read_sibling(self, path: str, commit: str = "") -> str | None:
        return None
