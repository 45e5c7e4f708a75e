"""The dotenv store: ``KEY=value`` lines, ``#`` comments, metadata as ``sops_*`` keys."""

from __future__ import annotations

from typing import Any

from secretsops.errors import InvalidFormat
from secretsops.sops.cipher import Comment
from secretsops.sops.formats import flatten as fl
from secretsops.sops.formats.base import Store
from secretsops.sops.formats.ini import val_to_string
from secretsops.sops.tree import Branch

PREFIX = "sops_"


class DotenvStore(Store):
    name = "dotenv"
    extensions = (".env",)
    file_names = (".env",)

    def load_plain(self, data: bytes) -> list[Branch]:
        branch = Branch()
        text = data.decode("utf-8", "surrogateescape")
        for n, line in enumerate(text.split("\n"), start=1):
            if not line:
                continue
            if line[0] == "#":
                branch.append((Comment(line[1:]), None))
                continue
            pos = line.find("=")
            if pos < 0:
                raise InvalidFormat(f"invalid dotenv input: line {n} has no '='")
            branch.append((line[:pos], line[pos + 1 :].replace("\\n", "\n")))
        return [branch]

    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Any]:
        branch = self.load_plain(data)[0]
        out = Branch()
        md: dict[str, Any] = {}
        for k, v in branch:
            if isinstance(k, str) and k.startswith(PREFIX):
                md[k[len(PREFIX) :]] = v
            else:
                out.append((k, v))
        if not md:
            return [out], None
        meta = fl.unflatten(fl.decode_from_text(md))
        return [out], meta

    def emit_plain(self, branches: list[Branch]) -> bytes:
        lines = []
        for k, v in branches[0] if branches else []:
            if isinstance(k, Comment):
                lines.append(f"#{k.value}\n")
                continue
            if isinstance(v, (Branch, list)):
                raise InvalidFormat(f"cannot use a complex value in a dotenv file (key {k})")
            text = v.replace("\n", "\\n") if isinstance(v, str) else val_to_string(v, nil="<nil>")
            lines.append(f"{k}={text}\n")
        return "".join(lines).encode("utf-8", "surrogateescape")

    def emit_encrypted(self, branches: list[Branch], metadata: dict[str, Any]) -> bytes:
        flat = fl.encode_for_text(fl.flatten(metadata))
        b = Branch(branches[0] if branches else [])
        for key in sorted(flat):
            b.append((PREFIX + key, flat[key]))
        return self.emit_plain([b])

    def emit_value(self, value: Any) -> bytes:
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        raise InvalidFormat("the dotenv store only supports extracting strings")
