"""Parser for Go text/template (text/template/parse/parse.go), producing :mod:`nodes` trees.

Errors carry Go's exact wording (``template: NAME:LINE: function "x" not defined``) so users
can search for them; functions are checked at parse time, as Go does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import nodes as n
from .lexer import T, Token, tokenize


class ParseError(Exception):
    """A template that does not parse: message in Go's wording, plus line and column."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


@dataclass(slots=True)
class Tree:
    name: str
    root: n.ListNode
    text: str


@dataclass(slots=True)
class _State:
    name: str
    text: str
    tokens: list[Token]
    has_func: Callable[[str], bool]
    i: int = 0
    vars: list[str] = field(default_factory=lambda: ["$"])
    range_depth: int = 0
    action_line: int = 0
    trees: dict[str, Tree] = field(default_factory=dict)


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _unquote_char(s: str, i: int, quote: str) -> tuple[str, int]:
    """strconv.UnquoteChar: decode one (possibly escaped) character at s[i]."""
    c = s[i]
    if c == quote and quote in "'\"":
        raise ValueError("invalid syntax")
    if c != "\\":
        return c, i + 1
    if i + 1 >= len(s):
        raise ValueError("invalid syntax")
    e = s[i + 1]
    if e in _ESCAPES:
        return _ESCAPES[e], i + 2
    if e in "xuU":
        size = {"x": 2, "u": 4, "U": 8}[e]
        hexs = s[i + 2 : i + 2 + size]
        if len(hexs) != size or not all(h in "0123456789abcdefABCDEF" for h in hexs):
            raise ValueError("invalid syntax")
        v = int(hexs, 16)
        if e == "x":
            # \xHH is a byte; only valid ASCII bytes survive as characters in Python text.
            return (chr(v) if v < 0x80 else bytes([v]).decode("latin-1")), i + 2 + size
        if v > 0x10FFFF or 0xD800 <= v <= 0xDFFF:
            raise ValueError("invalid syntax")
        return chr(v), i + 2 + size
    if e in "01234567":
        octs = s[i + 1 : i + 4]
        if len(octs) != 3 or not all(o in "01234567" for o in octs):
            raise ValueError("invalid syntax")
        v = int(octs, 8)
        if v > 255:
            raise ValueError("invalid syntax")
        return chr(v), i + 4
    if e == quote and quote in "'\"":
        return e, i + 2
    raise ValueError("invalid syntax")


def go_unquote(lit: str) -> str:
    """strconv.Unquote for "..." and `...` literals."""
    if len(lit) < 2 or lit[0] != lit[-1]:
        raise ValueError("invalid syntax")
    body = lit[1:-1]
    if lit[0] == "`":
        if "`" in body:
            raise ValueError("invalid syntax")
        return body.replace("\r", "")
    if lit[0] != '"' or "\n" in body:
        raise ValueError("invalid syntax")
    out = []
    i = 0
    while i < len(body):
        c, i = _unquote_char(body, i, '"')
        out.append(c)
    return "".join(out)


_OCTAL_RE = re.compile(r"^[+-]?0[0-7_]+$")


def _parse_go_int(text: str) -> int | None:
    t = text
    try:
        if _OCTAL_RE.match(t):
            sign = -1 if t.startswith("-") else 1
            return sign * int(t.lstrip("+-").replace("_", ""), 8)
        if "_" in t and not re.match(r"^[+-]?0[xXbBoO]", t):
            # Go allows underscores only between digits with base prefix 0 handling
            if t.startswith(("_",)) or t.endswith("_") or "__" in t:
                return None
        return int(t, 0)
    except ValueError:
        return None


def new_number(pos: int, text: str, typ: T) -> n.NumberNode:
    """parse.newNumber: classify a numeric literal as int and/or float like Go."""
    node = n.NumberNode(pos, text)
    if typ == T.CHAR_CONSTANT:
        try:
            c, end = _unquote_char(text, 1, "'")
        except ValueError:
            raise ValueError("invalid syntax") from None
        if text[end:] != "'":
            raise ValueError(f"malformed character constant: {text}")
        node.int64 = ord(c)
        node.is_int = node.is_uint = node.is_float = True
        node.float64 = float(ord(c))
        return node
    if typ == T.COMPLEX or text.endswith("i"):
        raise ValueError(f"complex constants are not supported: {text}")
    i = _parse_go_int(text)
    if i is not None:
        if i >= 0 and i < (1 << 64) and not text.startswith("-"):
            node.is_uint = True
        if -(1 << 63) <= i < (1 << 63):
            node.is_int = True
            node.int64 = i
        if node.is_int or node.is_uint:
            node.is_float = True
            node.float64 = float(i)
    if not (node.is_int or node.is_uint):
        try:
            if re.match(r"^[+-]?0[xX]", text):
                f = float.fromhex(text.replace("_", ""))
            else:
                if "_" in text:
                    raise ValueError
                f = float(text)
        except (ValueError, OverflowError):
            f = None
        if f is not None and math.isinf(f):
            f = None  # strconv.ParseFloat: value out of range
        if f is not None and text not in ("+", "-", "."):
            if not any(c in text for c in ".eEpP"):
                raise ValueError(f"integer overflow: {_q(text)}")
            node.is_float = True
            node.float64 = f
            if f == int(f) and -(1 << 63) <= int(f) < (1 << 63):
                node.is_int = True
                node.int64 = int(f)
    if not (node.is_int or node.is_uint or node.is_float):
        raise ValueError(f"illegal number syntax: {_q(text)}")
    return node


def _q(s: str) -> str:
    from secretsops.golang.strconv import quote as go_quote

    return go_quote(s)


class Parser:
    """Recursive-descent parser with Go's lookahead (peek/backup over a token list)."""

    def __init__(self, st: _State) -> None:
        self.st = st

    # token access --------------------------------------------------------------------------
    def next(self) -> Token:
        tok = self.st.tokens[self.st.i]
        if tok.typ != T.EOF:
            self.st.i += 1
        else:
            self.st.i += 1
        return tok

    def backup(self, k: int = 1) -> None:
        self.st.i -= k

    def peek(self) -> Token:
        return self.st.tokens[min(self.st.i, len(self.st.tokens) - 1)]

    def next_non_space(self) -> Token:
        while True:
            tok = self.next()
            if tok.typ != T.SPACE:
                return tok

    def peek_non_space(self) -> Token:
        tok = self.next_non_space()
        self.backup()
        return tok

    def error(self, msg: str, tok: Token | None = None) -> ParseError:
        if tok is None:
            idx = max(min(self.st.i - 1, len(self.st.tokens) - 1), 0)
            tok = self.st.tokens[idx]
        line = tok.line
        ls = self.st.text.rfind("\n", 0, tok.pos) + 1
        col = len(self.st.text[ls : tok.pos].encode())
        return ParseError(f"template: {self.st.name}:{line}: {msg}", line, col)

    def expect(self, typ: T, context: str) -> Token:
        tok = self.next_non_space()
        if tok.typ != typ:
            raise self.unexpected(tok, context)
        return tok

    def unexpected(self, tok: Token, context: str) -> ParseError:
        if tok.typ == T.ERROR:
            extra = ""
            if self.st.action_line not in (0, tok.line):
                extra = f" in action started at {self.st.name}:{self.st.action_line}"
                if tok.val.endswith(" action"):
                    extra = extra[len(" in action") :]  # Go avoids "action in action"
            return self.error(tok.val + extra, tok)
        return self.error(f"unexpected {tok} in {context}", tok)

    # top level -----------------------------------------------------------------------------
    def parse(self) -> n.ListNode:
        root = n.ListNode(self.peek().pos)
        while self.peek().typ != T.EOF:
            if self.peek().typ == T.LEFT_DELIM:
                delim = self.next()
                if self.next_non_space().typ == T.DEFINE:
                    self.parse_definition()
                    continue
                self.backup(self.st.i - self.st.tokens.index(delim, 0) - 1) if False else None
                self._rewind_to(delim)
            node = self.text_or_action()
            if isinstance(node, n.EndNode | n.ElseNode):
                raise self.error(f"unexpected {node}")
            root.nodes.append(node)
        if self.peek().typ == T.EOF and self.st.tokens and self.st.tokens[-1].typ == T.ERROR:
            tok = self.st.tokens[-1]
            raise self.error(tok.val, tok)
        return root

    def _rewind_to(self, tok: Token) -> None:
        while self.st.tokens[self.st.i] is not tok:
            self.st.i -= 1

    def parse_definition(self) -> None:
        context = "define clause"
        name_tok = self.next_non_space()
        name = self.parse_template_name(name_tok, context)
        self.expect(T.RIGHT_DELIM, context)
        self.define_body(name, context)

    def define_body(self, name: str, context: str) -> None:
        """The body of ``define``/``block`` up to ``{{end}}``: its own tree, variables reset to ``$``."""
        saved_vars = self.st.vars
        self.st.vars = ["$"]
        body, end = self.item_list()
        if not isinstance(end, n.EndNode):
            raise self.error(f"unexpected {end} in {context}")
        self.st.vars = saved_vars
        self.add_tree(name, body)

    def add_tree(self, name: str, body: n.ListNode) -> None:
        old = self.st.trees.get(name)
        if old is not None and not _is_empty(old.root) and not _is_empty(body):
            raise self.error(f"template: multiple definition of template {_q(name)}")
        if old is None or not _is_empty(body):
            self.st.trees[name] = Tree(name, body, self.st.text)

    def parse_template_name(self, tok: Token, context: str) -> str:
        if tok.typ in (T.STRING, T.RAW_STRING):
            try:
                return go_unquote(tok.val)
            except ValueError:
                raise self.error("invalid syntax", tok) from None
        raise self.unexpected(tok, context)

    def item_list(self) -> tuple[n.ListNode, n.Node]:
        lst = n.ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != T.EOF:
            node = self.text_or_action()
            if isinstance(node, n.EndNode | n.ElseNode):
                return lst, node
            lst.nodes.append(node)
        tok = self.peek()
        prev = self.st.tokens[-1]
        if prev.typ == T.ERROR:
            raise self.error(prev.val, prev)
        raise self.error("unexpected EOF", tok)

    def text_or_action(self) -> n.Node:
        tok = self.next_non_space()
        if tok.typ == T.TEXT:
            return n.TextNode(tok.pos, tok.val)
        if tok.typ == T.LEFT_DELIM:
            self.st.action_line = tok.line
            try:
                return self.action()
            finally:
                self.st.action_line = 0
        raise self.unexpected(tok, "input")

    def action(self) -> n.Node:  # noqa: C901
        tok = self.next_non_space()
        t = tok.typ
        if t == T.BLOCK:
            return self.block_control()
        if t == T.BREAK:
            return self.break_control(tok, "break")
        if t == T.CONTINUE:
            return self.break_control(tok, "continue")
        if t == T.ELSE:
            return self.else_control()
        if t == T.END:
            return self.end_control()
        if t == T.IF:
            return self.if_control()
        if t == T.RANGE:
            return self.range_control()
        if t == T.TEMPLATE:
            return self.template_control()
        if t == T.WITH:
            return self.with_control()
        self.backup()
        tok = self.peek()
        pipe = self.pipeline("command", T.RIGHT_DELIM)
        return n.ActionNode(tok.pos, tok.line, pipe)

    def break_control(self, tok: Token, kw: str) -> n.Node:
        t = self.next_non_space()
        if t.typ != T.RIGHT_DELIM:
            raise self.unexpected(t, "{{" + kw + "}}")
        if self.st.range_depth == 0:
            raise self.error("{{" + kw + "}} outside {{range}}", tok)
        if kw == "break":
            return n.BreakNode(tok.pos, tok.line)
        return n.ContinueNode(tok.pos, tok.line)

    def else_control(self) -> n.Node:
        peek = self.peek_non_space()
        if peek.typ in (T.IF, T.WITH):
            return n.ElseNode(peek.pos, peek.line)
        tok = self.expect(T.RIGHT_DELIM, "else")
        return n.ElseNode(tok.pos, tok.line)

    def end_control(self) -> n.Node:
        tok = self.expect(T.RIGHT_DELIM, "end")
        return n.EndNode(tok.pos)

    def parse_control(self, context: str) -> tuple[n.PipeNode, n.ListNode, n.ListNode | None]:
        mark = len(self.st.vars)
        try:
            pipe = self.pipeline(context, T.RIGHT_DELIM)
            if context == "range":
                self.st.range_depth += 1
            lst, nxt = self.item_list()
            if context == "range":
                self.st.range_depth -= 1
            else_list: n.ListNode | None = None
            if isinstance(nxt, n.ElseNode):
                pk = self.peek()
                if (context == "if" and pk.typ == T.IF) or (context == "with" and pk.typ == T.WITH):
                    self.next()
                    else_list = n.ListNode(nxt.pos)
                    inner = self.if_control() if context == "if" else self.with_control()
                    else_list.nodes.append(inner)
                else:
                    else_list, nxt2 = self.item_list()
                    if not isinstance(nxt2, n.EndNode):
                        raise self.error(f"expected end; found {nxt2}")
            return pipe, lst, else_list
        finally:
            del self.st.vars[mark:]

    def if_control(self) -> n.Node:
        pipe, lst, else_list = self.parse_control("if")
        return n.IfNode(pipe.pos, pipe.line, pipe, lst, else_list)

    def range_control(self) -> n.Node:
        pipe, lst, else_list = self.parse_control("range")
        return n.RangeNode(pipe.pos, pipe.line, pipe, lst, else_list)

    def with_control(self) -> n.Node:
        pipe, lst, else_list = self.parse_control("with")
        return n.WithNode(pipe.pos, pipe.line, pipe, lst, else_list)

    def template_control(self) -> n.Node:
        context = "template clause"
        tok = self.next_non_space()
        name = self.parse_template_name(tok, context)
        pipe = None
        if self.next_non_space().typ != T.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, T.RIGHT_DELIM)
        return n.TemplateNode(tok.pos, tok.line, name, pipe)

    def block_control(self) -> n.Node:
        context = "block clause"
        tok = self.next_non_space()
        name = self.parse_template_name(tok, context)
        pipe = self.pipeline(context, T.RIGHT_DELIM)
        self.define_body(name, context)
        return n.TemplateNode(tok.pos, tok.line, name, pipe)

    # pipelines -----------------------------------------------------------------------------
    def pipeline(self, context: str, end: T) -> n.PipeNode:  # noqa: C901
        tok = self.peek_non_space()
        pipe = n.PipeNode(tok.pos, tok.line)
        # declarations
        while True:
            v = self.peek_non_space()
            if v.typ != T.VARIABLE:
                break
            self.next_non_space()
            after = self.peek()
            nxt = self.peek_non_space()
            if nxt.typ in (T.ASSIGN, T.DECLARE):
                pipe.is_assign = nxt.typ == T.ASSIGN
                self.next_non_space()
                pipe.decl.append(n.VariableNode(v.pos, [v.val]))
                self.st.vars.append(v.val)
                break
            if nxt.typ == T.CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(n.VariableNode(v.pos, [v.val]))
                self.st.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    pk = self.peek_non_space()
                    if pk.typ in (T.VARIABLE, T.RIGHT_DELIM, T.RIGHT_PAREN):
                        continue
                    raise self.error("range can only initialize variables")
                raise self.error(f"too many declarations in {context}")
            if after.typ == T.SPACE:
                self._rewind_to(v)
            else:
                self._rewind_to(v)
            break
        while True:
            tok = self.next_non_space()
            if tok.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if tok.typ in (
                T.BOOL, T.CHAR_CONSTANT, T.COMPLEX, T.DOT, T.FIELD, T.IDENTIFIER, T.NUMBER,
                T.NIL, T.RAW_STRING, T.STRING, T.VARIABLE, T.LEFT_PAREN,
            ):
                self.backup()
                pipe.cmds.append(self.command())
            else:
                raise self.unexpected(tok, context)

    def check_pipeline(self, pipe: n.PipeNode, context: str) -> None:
        if not pipe.cmds:
            raise self.error(f"missing value for {context}")
        for i, c in enumerate(pipe.cmds[1:]):
            if isinstance(c.args[0], n.BoolNode | n.DotNode | n.NilNode | n.NumberNode | n.StringNode):
                raise self.error(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> n.CommandNode:
        cmd = n.CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.typ == T.SPACE:
                continue
            if tok.typ in (T.RIGHT_DELIM, T.RIGHT_PAREN):
                self.backup()
            elif tok.typ == T.PIPE:
                pass
            else:
                raise self.unexpected(tok, "operand")
            break
        if not cmd.args:
            raise self.error("empty command")
        return cmd

    def operand(self) -> n.Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == T.FIELD:
            chain = n.ChainNode(self.peek().pos, node)
            while self.peek().typ == T.FIELD:
                chain.fields.append(self.next().val[1:])
            # Go gives the merged node the position of the chain (its second token)
            if isinstance(node, n.FieldNode):
                return n.FieldNode(chain.pos, node.ident + chain.fields)
            if isinstance(node, n.VariableNode):
                return n.VariableNode(chain.pos, node.ident + chain.fields)
            if isinstance(node, n.BoolNode | n.StringNode | n.NumberNode | n.NilNode | n.DotNode):
                raise self.error(f"unexpected . after term {_q(str(node))}")
            return chain
        return node

    def term(self) -> n.Node | None:  # noqa: C901
        tok = self.next_non_space()
        t = tok.typ
        if t == T.IDENTIFIER:
            if not self.st.has_func(tok.val):
                raise self.error(f"function {_q(tok.val)} not defined", tok)
            return n.IdentifierNode(tok.pos, tok.val)
        if t == T.DOT:
            return n.DotNode(tok.pos)
        if t == T.NIL:
            return n.NilNode(tok.pos)
        if t == T.VARIABLE:
            return self.use_var(tok)
        if t == T.FIELD:
            return n.FieldNode(tok.pos, [tok.val[1:]])
        if t == T.BOOL:
            return n.BoolNode(tok.pos, tok.val == "true")
        if t in (T.CHAR_CONSTANT, T.COMPLEX, T.NUMBER):
            try:
                return new_number(tok.pos, tok.val, t)
            except ValueError as e:
                raise self.error(str(e), tok) from None
        if t == T.LEFT_PAREN:
            return self.pipeline("parenthesized pipeline", T.RIGHT_PAREN)
        if t in (T.STRING, T.RAW_STRING):
            try:
                return n.StringNode(tok.pos, tok.val, go_unquote(tok.val))
            except ValueError:
                raise self.error("invalid syntax", tok) from None
        self.backup()
        return None

    def use_var(self, tok: Token) -> n.VariableNode:
        name = tok.val.split(".")[0]
        if name not in self.st.vars:
            raise self.error(f"undefined variable {_q(name)}", tok)
        return n.VariableNode(tok.pos, [tok.val])


def _is_empty(node: n.Node) -> bool:
    if isinstance(node, n.ListNode):
        return all(_is_empty(c) for c in node.nodes)
    if isinstance(node, n.TextNode):
        return node.text.strip(" \t\r\n") == ""
    return False


def parse(
    name: str, text: str, left: str, right: str, has_func: Callable[[str], bool]
) -> dict[str, Tree]:
    """Parse ``text`` into the named tree plus every ``define``/``block`` it contains."""
    tokens = tokenize(text, left, right)
    if tokens[-1].typ not in (T.EOF, T.ERROR):
        tokens.append(Token(T.EOF, len(text), "", 1))
    if tokens[-1].typ == T.ERROR:
        tokens.append(Token(T.EOF, len(text), "", tokens[-1].line))
    st = _State(name, text, tokens, has_func)
    p = Parser(st)
    try:
        root = p.parse()
    except IndexError:
        raise p.error("unexpected EOF") from None
    main = Tree(name, root, text)
    if name in st.trees and _is_empty(root):
        pass
    else:
        if name in st.trees and not _is_empty(st.trees[name].root) and not _is_empty(root):
            raise p.error(f"template: multiple definition of template {_q(name)}")
        st.trees[name] = main
    return st.trees


def names(trees: Iterable[str]) -> list[str]:
    return sorted(trees)
