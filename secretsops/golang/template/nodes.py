"""Parse tree of a Go template (text/template/parse/node.go), with Go's String() forms.

The String() forms matter: Go puts them in execution errors (``at <.a.b>``), so ours match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secretsops.golang.strconv import quote as go_quote


@dataclass(slots=True, eq=False)
class Node:
    pos: int


@dataclass(slots=True, eq=False)
class TextNode(Node):
    text: str

    def __str__(self) -> str:
        return go_quote(self.text)


@dataclass(slots=True, eq=False)
class ListNode(Node):
    nodes: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


@dataclass(slots=True, eq=False)
class DotNode(Node):
    def __str__(self) -> str:
        return "."


@dataclass(slots=True, eq=False)
class NilNode(Node):
    def __str__(self) -> str:
        return "nil"


@dataclass(slots=True, eq=False)
class BoolNode(Node):
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(slots=True, eq=False)
class NumberNode(Node):
    text: str
    is_int: bool = False
    is_uint: bool = False
    is_float: bool = False
    int64: int = 0
    float64: float = 0.0

    def __str__(self) -> str:
        return self.text


@dataclass(slots=True, eq=False)
class StringNode(Node):
    quoted: str
    text: str

    def __str__(self) -> str:
        return self.quoted


@dataclass(slots=True, eq=False)
class FieldNode(Node):
    ident: list[str]

    def __str__(self) -> str:
        return "".join("." + i for i in self.ident)


@dataclass(slots=True, eq=False)
class VariableNode(Node):
    ident: list[str]

    def __str__(self) -> str:
        return ".".join(self.ident)


@dataclass(slots=True, eq=False)
class IdentifierNode(Node):
    ident: str

    def __str__(self) -> str:
        return self.ident


@dataclass(slots=True, eq=False)
class ChainNode(Node):
    node: Node
    fields: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        s = str(self.node)
        if isinstance(self.node, PipeNode):
            s = "(" + s + ")"
        return s + "".join("." + f for f in self.fields)


@dataclass(slots=True, eq=False)
class CommandNode(Node):
    args: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        parts = []
        for a in self.args:
            parts.append("(" + str(a) + ")" if isinstance(a, PipeNode) else str(a))
        return " ".join(parts)


@dataclass(slots=True, eq=False)
class PipeNode(Node):
    line: int
    is_assign: bool = False
    decl: list[VariableNode] = field(default_factory=list)
    cmds: list[CommandNode] = field(default_factory=list)

    def __str__(self) -> str:
        s = ""
        if self.decl:
            s = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return s + " | ".join(str(c) for c in self.cmds)


@dataclass(slots=True, eq=False)
class ActionNode(Node):
    line: int
    pipe: PipeNode

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass(slots=True, eq=False)
class BranchNode(Node):
    line: int
    pipe: PipeNode
    list: ListNode
    else_list: ListNode | None

    keyword = "if"

    def __str__(self) -> str:
        s = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            s += "{{else}}" + str(self.else_list)
        return s + "{{end}}"


@dataclass(slots=True, eq=False)
class IfNode(BranchNode):
    keyword = "if"


@dataclass(slots=True, eq=False)
class WithNode(BranchNode):
    keyword = "with"


@dataclass(slots=True, eq=False)
class RangeNode(BranchNode):
    keyword = "range"


@dataclass(slots=True, eq=False)
class BreakNode(Node):
    line: int

    def __str__(self) -> str:
        return "{{break}}"


@dataclass(slots=True, eq=False)
class ContinueNode(Node):
    line: int

    def __str__(self) -> str:
        return "{{continue}}"


@dataclass(slots=True, eq=False)
class TemplateNode(Node):
    line: int
    name: str
    pipe: PipeNode | None

    def __str__(self) -> str:
        if self.pipe is None:
            return "{{template " + go_quote(self.name) + "}}"
        return "{{template " + go_quote(self.name) + " " + str(self.pipe) + "}}"


# Marker nodes produced while parsing; never part of a finished tree.
@dataclass(slots=True, eq=False)
class EndNode(Node):
    def __str__(self) -> str:
        return "{{end}}"


@dataclass(slots=True, eq=False)
class ElseNode(Node):
    line: int

    def __str__(self) -> str:
        return "{{else}}"


Constant = Any
