"""The node-graph check: aliases and depth, counted on the composed graph, never expanded.

An alias is a second reference to a node already composed, so a "billion laughs" document is
small as a graph and huge only when something walks it as a tree. The check walks the graph
once, adding up what the expansion *would* cost, and refuses before anything is constructed.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode

from secretsops.errors import SecretsOpsError
from secretsops.yamlio.limits import LimitExceeded, ReadLimits, position

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see secretsops/cli/startup.py)
if TYPE_CHECKING:
    from typing import Any


def _fail(path: str, node: Node, problem: str, error: type[SecretsOpsError]) -> SecretsOpsError:
    where = f"{path}: " if path else ""
    return error(f"{where}{position(node.start_mark)}: {problem}")


def check_node_graph(
    root: Node,
    limits: ReadLimits,
    path: str,
    error: type[SecretsOpsError] = LimitExceeded,
    *,
    anchors: bool = True,
) -> None:
    """Refuse a document whose aliases loop, expand past the limit, or nest too deeply.

    One iterative depth-first pass over the distinct nodes: an alias is a second reference to
    a node already seen, so its expanded size and height come from a memo and are added up,
    never walked again. Cost is linear in the document's size, whatever the aliases expand to.
    ``anchors=False`` (the text has no ``&``, so no node is shared) checks depth only, faster.
    """
    max_depth = limits.max_depth
    if not anchors:
        _check_depth(root, max_depth, path, error)
        return
    budget = limits.max_alias_nodes
    #: id(node) -> (expanded size, height); absent while the node is being walked
    done: dict[int, tuple[int, int]] = {}
    active: set[int] = {id(root)}
    if type(root) is ScalarNode:
        return
    # a frame: [node, children, next index, expanded size so far, height of tallest child]
    stack: list[list[Any]] = [[root, _children(root), 0, 1, 0]]
    added = 0
    while stack:
        frame = stack[-1]
        kids = frame[1]
        i = frame[2]
        if i < len(kids):
            frame[2] = i + 1
            kid = kids[i]
            if type(kid) is ScalarNode:
                frame[3] += 1
                if frame[4] == 0:
                    frame[4] = 1
                continue
            key = id(kid)
            seen = done.get(key)
            if seen is not None:  # an alias (or a merge) of a finished node
                size, height = seen
                added += size
                if added > budget:
                    problem = f"aliases expand to more than {budget} nodes (limit max_alias_nodes)"
                    raise _fail(path, kid, problem, error)
                if len(stack) + height > max_depth:
                    raise _fail(path, kid, f"nested deeper than {max_depth} levels (limit max_depth)", error)
                frame[3] += size
                frame[4] = max(frame[4], height)
                continue
            if key in active:
                raise _fail(path, kid, "an alias refers to a node that contains it (recursive alias)", error)
            if len(stack) >= max_depth:
                raise _fail(path, kid, f"nested deeper than {max_depth} levels (limit max_depth)", error)
            active.add(key)
            stack.append([kid, _children(kid), 0, 1, 0])
            continue
        stack.pop()
        node = frame[0]
        size, height = frame[3], frame[4] + 1
        active.discard(id(node))
        done[id(node)] = (size, height)
        if stack:
            parent = stack[-1]
            parent[3] += size
            parent[4] = max(parent[4], height)


def _check_depth(root: Node, max_depth: int, path: str, error: type[SecretsOpsError]) -> None:
    """Depth of a tree (no shared nodes): the cheap walk for documents without anchors."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        kind = type(node)
        if kind is ScalarNode:
            continue
        if depth > max_depth:
            raise _fail(path, node, f"nested deeper than {max_depth} levels (limit max_depth)", error)
        depth += 1
        if kind is MappingNode:
            for key, value in node.value:
                if type(value) is not ScalarNode:
                    push((value, depth))
                if type(key) is not ScalarNode:
                    push((key, depth))
        else:
            for item in node.value:
                if type(item) is not ScalarNode:
                    push((item, depth))


def _children(node: Node) -> list[Any]:
    if type(node) is MappingNode:
        return [n for pair in node.value for n in pair]
    return list(node.value)
