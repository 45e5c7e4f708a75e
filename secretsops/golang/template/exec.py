"""Executor for parsed templates, following text/template/exec.go.

Walks the tree with Go's rules for fields on maps (missingkey option), pipelines, variables,
control structures, argument conversion and printing. Execution errors use Go's format
``template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE``; NODE is template text,
never data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import nodes as n
from .fmt import sorted_items, sprint_value
from .funcs import ANY, BOOL, FLOAT64, INT, INT64, LIST, MAP, STRING, VALUE, FuncError, GoFunc
from .parser import Tree
from .values import MISSING, Int64, StringList, StringMap, go_type_name, is_true

#: what stands for ``fail``'s message when the template computed it rather than quoting it
FAIL_WITHHELD = "<message not shown: computed by the template>"

MAX_EXEC_DEPTH = 100  # Go allows 100000 nested {{template}} calls; Python's stack cannot.


class ExecError(Exception):
    """Execution failed; ``str()`` is Go's message (template text and types, never data)."""


class _NoFinal:
    def __repr__(self) -> str:
        return "NOFINAL"


NOFINAL = _NoFinal()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass(slots=True)
class State:
    name: str
    trees: Mapping[str, Tree]
    funcs: Mapping[str, GoFunc]
    missingkey: str
    out: list[str] = field(default_factory=list)
    vars: list[tuple[str, Any]] = field(default_factory=list)
    #: indexes into ``vars`` whose value came out of a generic container (Go: interface {})
    iface_vars: set[int] = field(default_factory=set)
    node: n.Node | None = None
    depth: int = 0
    #: dot came out of a generic container, so Go sees its static type as interface {}
    dot_iface: bool = False

    # -- errors ---------------------------------------------------------------------------
    def errorf(self, msg: str) -> ExecError:
        tree = self.trees.get(self.name)
        if self.node is None or tree is None:
            return ExecError(f"template: {self.name}: {msg}")
        text = tree.text
        pos = self.node.pos
        line = 1 + text.count("\n", 0, pos)
        ls = text.rfind("\n", 0, pos) + 1
        col = len(text[ls:pos].encode()) if ls > 0 else len(text[:pos].encode())
        context = str(self.node)
        return ExecError(
            f"template: {self.name}:{line}:{col}: executing {_q(self.name)} at <{context}>: {msg}"
        )

    def at(self, node: n.Node) -> None:
        self.node = node

    # -- variables ------------------------------------------------------------------------
    def push(self, name: str, value: Any) -> None:
        self.vars.append((name, value))

    def mark(self) -> int:
        return len(self.vars)

    def pop(self, mark: int) -> None:
        del self.vars[mark:]
        self.iface_vars = {i for i in self.iface_vars if i < mark}

    def _index(self, name: str) -> int:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                return i
        raise self.errorf(f"undefined variable: {name}")

    def _store(self, i: int, value: Any, iface: bool) -> None:
        self.vars[i] = (self.vars[i][0], value)
        if iface:
            self.iface_vars.add(i)
        else:
            self.iface_vars.discard(i)

    def set_var(self, name: str, value: Any, iface: bool = False) -> None:
        self._store(self._index(name), value, iface)

    def set_top_var(self, k: int, value: Any, iface: bool = False) -> None:
        self._store(len(self.vars) - k, value, iface)

    def var_value(self, name: str) -> Any:
        return self.vars[self._index(name)][1]

    # -- walking --------------------------------------------------------------------------
    def walk(self, dot: Any, node: n.Node) -> None:  # noqa: C901
        self.at(node)
        if isinstance(node, n.TextNode):
            self.out.append(node.text)
        elif isinstance(node, n.ActionNode):
            val = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, val)
        elif isinstance(node, n.ListNode):
            for child in node.nodes:
                self.walk(dot, child)
        elif isinstance(node, n.RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, n.IfNode | n.WithNode):
            self.walk_if_or_with(isinstance(node, n.WithNode), dot, node)
        elif isinstance(node, n.TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, n.BreakNode):
            raise _Break
        elif isinstance(node, n.ContinueNode):
            raise _Continue
        else:
            raise self.errorf(f"unknown node: {node}")

    def walk_if_or_with(self, is_with: bool, dot: Any, node: n.BranchNode) -> None:
        mark = self.mark()
        try:
            val = self.eval_pipeline(dot, node.pipe)
            truth, ok = is_true(val)
            if not ok:
                raise self.errorf(f"if/with can't use value of type {go_type_name(val)}")
            if truth:
                saved = self.dot_iface
                self.dot_iface = self.dot_iface and not is_with
                try:
                    self.walk(val if is_with else dot, node.list)
                finally:
                    self.dot_iface = saved
            elif node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            self.pop(mark)

    def walk_range(self, dot: Any, r: n.RangeNode) -> None:  # noqa: C901
        self.at(r)
        mark0 = self.mark()
        try:
            val = self.eval_pipeline(dot, r.pipe)
            mark = self.mark()
            decl = r.pipe.decl

            def one(index: Any, elem: Any) -> bool:
                if decl:
                    if r.pipe.is_assign:
                        if len(decl) > 1:
                            self.set_var(decl[0].ident[0], index)
                        else:
                            self.set_var(decl[0].ident[0], elem, generic)
                    else:
                        self.set_top_var(1, elem, generic)
                if len(decl) > 1:
                    if r.pipe.is_assign:
                        self.set_var(decl[1].ident[0], elem, generic)
                    else:
                        self.set_top_var(2, index)
                saved = self.dot_iface
                self.dot_iface = generic
                try:
                    self.walk(elem, r.list)
                except _Continue:
                    pass
                except _Break:
                    return False
                finally:
                    self.pop(mark)
                    self.dot_iface = saved
                return True

            generic = isinstance(val, list | tuple | dict) and not isinstance(val, StringList | StringMap)

            if isinstance(val, list | tuple):
                if len(val) > 0:
                    for i, e in enumerate(val):
                        if not one(i, e):
                            break
                    return
            elif isinstance(val, dict):
                if len(val) > 0:
                    for k, v in sorted_items(val):
                        if not one(k, v):
                            break
                    return
            elif isinstance(val, bytes | bytearray):
                if len(val) > 0:
                    for i, e in enumerate(val):
                        if not one(i, e):
                            break
                    return
            elif val is MISSING or val is None:
                pass
            elif isinstance(val, int) and not isinstance(val, bool):
                if len(decl) > 1:
                    raise self.errorf("can't use value of type int to iterate over more than one variable")
                if val > 0:
                    for i in range(val):
                        if not one(i, i):
                            break
                    return
            else:
                raise self.errorf(f"range can't iterate over value of type {go_type_name(val)}")
            if r.else_list is not None:
                self.walk(dot, r.else_list)
        finally:
            self.pop(mark0)

    def walk_template(self, dot: Any, t: n.TemplateNode) -> None:
        self.at(t)
        tree = self.trees.get(t.name)
        if tree is None:
            raise self.errorf(f"template {_q(t.name)} not defined")
        if self.depth >= MAX_EXEC_DEPTH:
            raise self.errorf(f"exceeded maximum template depth ({MAX_EXEC_DEPTH})")
        new_dot = self.eval_pipeline(dot, t.pipe) if t.pipe is not None else MISSING
        child = State(t.name, self.trees, self.funcs, self.missingkey, self.out, [("$", new_dot)])
        child.depth = self.depth + 1
        child.walk(new_dot, tree.root)

    # -- pipelines ------------------------------------------------------------------------
    def eval_pipeline(self, dot: Any, pipe: n.PipeNode | None) -> Any:
        if pipe is None:
            return MISSING
        self.at(pipe)
        value: Any = NOFINAL
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
        if value is None:
            value = MISSING  # an interface{} holding nil unwraps to an invalid value
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.ident[0], value)
            else:
                self.push(var.ident[0], value)
        return value

    def not_a_function(self, args: list[n.Node], final: Any) -> None:
        if len(args) > 1 or final is not NOFINAL:
            raise self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: n.CommandNode, final: Any) -> Any:  # noqa: C901
        first = cmd.args[0]
        if isinstance(first, n.FieldNode):
            return self.eval_field_node(dot, first, cmd.args, final)
        if isinstance(first, n.ChainNode):
            return self.eval_chain_node(dot, first, cmd.args, final)
        if isinstance(first, n.IdentifierNode):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, n.PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, n.VariableNode):
            return self.eval_variable_node(dot, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, n.BoolNode):
            return first.value
        if isinstance(first, n.DotNode):
            return dot
        if isinstance(first, n.NilNode):
            raise self.errorf("nil is not a command")
        if isinstance(first, n.NumberNode):
            return self.ideal_constant(first)
        if isinstance(first, n.StringNode):
            return first.text
        raise self.errorf(f"can't evaluate command {first}")

    def ideal_constant(self, c: n.NumberNode) -> Any:
        self.at(c)
        t = c.text
        is_hex_int = len(t) > 2 and t[0] == "0" and t[1] in "xX" and not any(ch in t for ch in "pP")
        is_rune = t.startswith("'")
        if c.is_float and not is_hex_int and not is_rune and any(ch in t for ch in ".eEpP"):
            return c.float64
        if c.is_int:
            return c.int64
        if c.is_uint:
            raise self.errorf(f"{t} overflows int")
        return MISSING

    def eval_field_node(self, dot: Any, f: n.FieldNode, args: list[n.Node], final: Any) -> Any:
        self.at(f)
        return self.eval_field_chain(dot, dot, f, f.ident, args, final, iface=self.dot_iface)

    def eval_chain_node(self, dot: Any, chain: n.ChainNode, args: list[n.Node], final: Any) -> Any:
        self.at(chain)
        if not chain.fields:
            raise self.errorf("internal error: no fields in evalChainNode")
        if isinstance(chain.node, n.NilNode):
            raise self.errorf(f"indirection through explicit nil in {chain}")
        pipe = self.eval_arg(dot, ANY, chain.node)
        return self.eval_field_chain(dot, pipe, chain, chain.fields, args, final)

    def eval_variable_node(self, dot: Any, v: n.VariableNode, args: list[n.Node], final: Any) -> Any:
        self.at(v)
        i = self._index(v.ident[0])
        value = self.vars[i][1]
        if len(v.ident) == 1:
            self.not_a_function(args, final)
            return value
        return self.eval_field_chain(dot, value, v, v.ident[1:], args, final, iface=i in self.iface_vars)

    def eval_field_chain(  # noqa: PLR0917 - mirrors exec.go
        self, dot: Any, receiver: Any, node: n.Node, ident: list[str], args: list[n.Node], final: Any,
        *, iface: bool = False,
    ) -> Any:
        for name in ident[:-1]:
            parent = receiver
            receiver = self.eval_field(dot, name, node, [], NOFINAL, receiver, iface=iface)
            iface = isinstance(parent, dict) and not isinstance(parent, StringMap)
        return self.eval_field(dot, ident[-1], node, args, final, receiver, iface=iface)

    def eval_field(  # noqa: PLR0917 - mirrors exec.go
        self, dot: Any, name: str, node: n.Node, args: list[n.Node], final: Any, receiver: Any,
        *, iface: bool = False,
    ) -> Any:
        if receiver is MISSING:
            if self.missingkey == "error":
                raise self.errorf(f"nil data; no entry for key {_q(name)}")
            return MISSING
        if receiver is None:
            raise self.errorf(f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(receiver, dict):
            if len(args) > 1 or final is not NOFINAL:
                raise self.errorf(f"{name} is not a method but has arguments")
            if name in receiver:
                return receiver[name]
            if self.missingkey == "error":
                raise self.errorf(f"map has no entry for key {_q(name)}")
            if self.missingkey == "zero":
                return "" if isinstance(receiver, StringMap) else None
            return MISSING
        typ = "interface {}" if iface else go_type_name(receiver)
        raise self.errorf(f"can't evaluate field {name} in type {typ}")

    # -- functions ------------------------------------------------------------------------
    def eval_function(
        self, dot: Any, node: n.IdentifierNode, cmd: n.Node, args: list[n.Node], final: Any
    ) -> Any:
        self.at(node)
        fn = self.funcs.get(node.ident)
        if fn is None:
            raise self.errorf(f"{_q(node.ident)} is not a defined function")
        return self.eval_call(dot, fn, cmd, node, node.ident, args, final)

    def eval_call(  # noqa: C901, PLR0917 - mirrors exec.go
        self, dot: Any, fn: GoFunc, cmd: n.Node, node: n.Node, name: str, args: list[n.Node], final: Any
    ) -> Any:
        rest = args[1:] if args else []
        num_in = len(rest) + (0 if final is NOFINAL else 1)
        if fn.variadic:
            num_fixed = fn.num_in - 1
            if num_in < num_fixed:
                raise self.errorf(
                    f"wrong number of args for {name}: want at least {fn.num_in - 1} got {len(rest)}"
                )
        else:
            num_fixed = fn.num_in
            if num_in != fn.num_in:
                raise self.errorf(f"wrong number of args for {name}: want {fn.num_in} got {num_in}")
        if name in ("and", "or") and fn.params == (VALUE, VALUE):
            want = name == "or"
            v: Any = MISSING
            for a in rest:
                v = self.eval_arg(dot, VALUE, a)
                if is_true(v)[0] == want:
                    return v
            if final is not NOFINAL:
                v = final
            return v
        argv: list[Any] = []
        i = 0
        while i < num_fixed and i < len(rest):
            argv.append(self.eval_arg(dot, fn.params[i], rest[i]))
            i += 1
        if fn.variadic:
            elem = fn.params[-1]
            while i < len(rest):
                argv.append(self.eval_arg(dot, elem, rest[i]))
                i += 1
        if final is not NOFINAL:
            t = fn.params[-1] if fn.variadic and len(argv) >= num_fixed else fn.params[len(argv)]
            argv.append(self.validate_type(final, t))
        try:
            result = fn.fn(*argv)
        except FuncError as e:
            self.at(cmd)
            msg = str(e)
            literal = final is NOFINAL and len(rest) == 1 and isinstance(rest[0], n.StringNode)
            if name == "fail" and not literal:
                # fail's text is whatever the template computed (often from the data): it is shown
                # only when it is a quoted literal in the template itself
                raise self.errorf(f"error calling fail: {FAIL_WITHHELD}") from None
            if name == "call" and rest and msg.startswith("non-function "):
                msg = f"non-function {rest[0]} " + msg[len("non-function ") :]  # Go names the callee
            raise self.errorf(f"error calling {name}: {msg}") from None
        except (ExecError, RecursionError):
            raise
        except Exception as e:  # a Go panic: report its type only, never its (data-bearing) text
            self.at(cmd)
            raise self.errorf(f"error calling {name}: {type(e).__name__}") from None
        return result

    def eval_arg(self, dot: Any, typ: str, arg: n.Node) -> Any:  # noqa: C901
        self.at(arg)
        if isinstance(arg, n.DotNode):
            return self.validate_type(dot, typ)
        if isinstance(arg, n.NilNode):
            if typ in (ANY, VALUE) or typ.startswith(("map[", "[]")):
                return None
            raise self.errorf(f"cannot assign nil to {typ}")
        if isinstance(arg, n.FieldNode):
            v = self.eval_field_node(dot, arg, [arg], NOFINAL)
            return v if typ == VALUE else self.validate_type(v, typ)
        if isinstance(arg, n.VariableNode):
            return self.validate_type(self.eval_variable_node(dot, arg, [arg], NOFINAL), typ)
        if isinstance(arg, n.PipeNode):
            return self.validate_type(self.eval_pipeline(dot, arg), typ)
        if isinstance(arg, n.IdentifierNode):
            return self.validate_type(self.eval_function(dot, arg, arg, [], NOFINAL), typ)
        if isinstance(arg, n.ChainNode):
            return self.validate_type(self.eval_chain_node(dot, arg, [], NOFINAL), typ)
        if typ == BOOL:
            if isinstance(arg, n.BoolNode):
                return arg.value
            raise self.errorf(f"expected bool; found {arg}")
        if typ == STRING:
            if isinstance(arg, n.StringNode):
                return arg.text
            raise self.errorf(f"expected string; found {arg}")
        if typ in (INT, INT64):
            if isinstance(arg, n.NumberNode) and arg.is_int:
                return Int64(arg.int64) if typ == INT64 else arg.int64
            raise self.errorf(f"expected integer; found {arg}")
        if typ == FLOAT64:
            if isinstance(arg, n.NumberNode) and arg.is_float:
                return arg.float64
            raise self.errorf(f"expected float; found {arg}")
        if typ in (ANY, VALUE):
            if isinstance(arg, n.BoolNode):
                return arg.value
            if isinstance(arg, n.NumberNode):
                return self.ideal_constant(arg)
            if isinstance(arg, n.StringNode):
                return arg.text
        raise self.errorf(f"can't handle {arg} for arg of type {typ}")

    def validate_type(self, value: Any, typ: str) -> Any:  # noqa: C901
        if typ == VALUE:
            return value
        if value is MISSING or value is None:
            if typ == ANY:
                return None
            if typ == MAP or typ.startswith("map["):
                return {}
            if typ.startswith("[]"):
                return []
            raise self.errorf(f"invalid value; expected {typ}")
        if typ == ANY:
            return value
        ok = False
        if typ == STRING:
            ok = isinstance(value, str)
        elif typ == INT:
            ok = isinstance(value, int) and not isinstance(value, bool | Int64)
        elif typ == INT64:
            ok = isinstance(value, Int64)
        elif typ == FLOAT64:
            ok = isinstance(value, float)
        elif typ == BOOL:
            ok = isinstance(value, bool)
        elif typ == MAP:
            ok = isinstance(value, dict) and not isinstance(value, StringMap)
        elif typ == "map[string]string":
            ok = isinstance(value, StringMap)
        elif typ == LIST:
            ok = isinstance(value, list | tuple) and not isinstance(value, StringList)
        elif typ == "[]string":
            ok = isinstance(value, StringList)
        else:
            ok = go_type_name(value) == typ
        if not ok:
            raise self.errorf(f"wrong type for value; expected {typ}; got {go_type_name(value)}")
        return value

    # -- output ---------------------------------------------------------------------------
    def print_value(self, node: n.Node, val: Any) -> None:
        self.at(node)
        if val is MISSING or val is None:
            self.out.append("<no value>")
            return
        if callable(val) and not isinstance(val, type):
            raise self.errorf(f"can't print {node} of type {go_type_name(val)}")
        self.out.append(val if isinstance(val, str) else sprint_value(val))


def _q(s: str) -> str:
    from secretsops.golang.strconv import quote as go_quote

    return go_quote(s)


def execute(
    trees: Mapping[str, Tree], name: str, data: Any, funcs: Mapping[str, GoFunc], missingkey: str
) -> str:
    """Run template ``name`` with ``data`` as dot and ``$``; return the output text."""
    tree = trees.get(name)
    st = State(name, trees, funcs, missingkey)
    if tree is None:
        raise st.errorf(f"{_q(name)} is an incomplete or empty template")
    st.vars = [("$", data)]
    try:
        st.walk(data, tree.root)
    except RecursionError:
        raise ExecError(f"template: {name}: exceeded maximum template depth") from None
    return "".join(st.out)
