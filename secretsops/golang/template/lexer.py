"""Tokenizer for Go text/template, following text/template/parse/lex.go (Go 1.22+).

Produces the same token stream as Go: text, delimiters (with ``{{- `` / `` -}}`` trim markers
applied to the neighbouring text), comments dropped, and inside actions: spaces, fields,
variables, identifiers, keywords, strings, raw strings, char constants and numbers.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass


class T(enum.IntEnum):
    ERROR = 0
    BOOL = 1
    CHAR = 2
    CHAR_CONSTANT = 3
    COMPLEX = 4
    ASSIGN = 5
    DECLARE = 6
    EOF = 7
    FIELD = 8
    IDENTIFIER = 9
    LEFT_DELIM = 10
    LEFT_PAREN = 11
    NUMBER = 12
    PIPE = 13
    RAW_STRING = 14
    RIGHT_DELIM = 15
    RIGHT_PAREN = 16
    SPACE = 17
    STRING = 18
    TEXT = 19
    VARIABLE = 20
    KEYWORD = 100  # delimits the keywords below
    BLOCK = 101
    BREAK = 102
    CONTINUE = 103
    DOT = 104
    DEFINE = 105
    ELSE = 106
    END = 107
    IF = 108
    NIL = 109
    RANGE = 110
    TEMPLATE = 111
    WITH = 112


KEYWORDS = {
    ".": T.DOT,
    "block": T.BLOCK,
    "break": T.BREAK,
    "continue": T.CONTINUE,
    "define": T.DEFINE,
    "else": T.ELSE,
    "end": T.END,
    "if": T.IF,
    "range": T.RANGE,
    "nil": T.NIL,
    "template": T.TEMPLATE,
    "with": T.WITH,
}

SPACE_CHARS = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Token:
    typ: T
    pos: int
    val: str
    line: int

    def __str__(self) -> str:
        """Go's item.String(), used in 'unexpected X in Y' parse errors."""
        if self.typ == T.EOF:
            return "EOF"
        if self.typ == T.ERROR:
            return self.val
        if self.typ > T.KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return go_quote_prefix(self.val, 10) + "..."
        return go_quote_prefix(self.val, len(self.val))


def go_quote_prefix(s: str, n: int) -> str:
    from secretsops.golang.strconv import quote as go_quote

    return go_quote(s[:n])


def is_space(c: str) -> bool:
    return c in SPACE_CHARS and c != ""


def is_alnum(c: str) -> bool:
    return c == "_" or c.isalpha() or (c != "" and unicodedata.category(c) == "Nd")


def _go_rune_repr(c: str) -> str:
    """Go's %#U: U+0023 '#'."""
    code = ord(c)
    out = f"U+{code:04X}"
    if c.isprintable():
        out += f" '{c}'"
    return out


class LexError(Exception):
    pass


class Lexer:
    """Runs Go's state machine eagerly and collects the tokens."""

    def __init__(self, text: str, left: str = "{{", right: str = "}}") -> None:
        self.input = text
        self.left = left or "{{"
        self.right = right or "}}"
        self.pos = 0
        self.start = 0
        self.line = 1
        self.start_line = 1
        self.paren_depth = 0
        self.tokens: list[Token] = []
        self.in_range_ok = True

    # -- helpers ---------------------------------------------------------------------------
    def peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else ""

    def next(self) -> str:
        if self.pos >= len(self.input):
            self.pos += 1  # mirrors Go's eof width 0 handling via backup()
            return ""
        c = self.input[self.pos]
        self.pos += 1
        if c == "\n":
            self.line += 1
        return c

    def backup(self) -> None:
        self.pos -= 1
        if self.pos < len(self.input) and self.input[self.pos] == "\n":
            self.line -= 1

    def emit(self, typ: T) -> None:
        self.tokens.append(Token(typ, self.start, self.input[self.start : self.pos], self.start_line))
        self.start = self.pos
        self.start_line = self.line

    def ignore(self) -> None:
        self.line += self.input.count("\n", self.start, self.pos)
        self.start = self.pos
        self.start_line = self.line

    def error(self, msg: str) -> None:
        self.tokens.append(Token(T.ERROR, self.start, msg, self.start_line))
        raise LexError(msg)

    def accept(self, valid: str) -> bool:
        c = self.next()
        if c and c in valid:
            return True
        self.backup()
        return False

    def accept_run(self, valid: str) -> None:
        while True:
            c = self.next()
            if not c or c not in valid:
                break
        self.backup()

    def has_left_trim(self, at: int) -> bool:
        s = self.input
        return at + 1 < len(s) and s[at] == "-" and s[at + 1] in SPACE_CHARS

    def has_right_trim(self, at: int) -> bool:
        s = self.input
        return at + 1 < len(s) and s[at] in SPACE_CHARS and s[at + 1] == "-"

    def at_right_delim(self) -> tuple[bool, bool]:
        if self.has_right_trim(self.pos) and self.input.startswith(self.right, self.pos + 2):
            return True, True
        if self.input.startswith(self.right, self.pos):
            return True, False
        return False, False

    def at_terminator(self) -> bool:
        c = self.peek()
        if c == "" or is_space(c) or c in ".,|:)(":
            return True
        return c == self.right[0]

    # -- states ----------------------------------------------------------------------------
    def run(self) -> list[Token]:
        state = self.lex_text
        try:
            while state is not None:
                state = state()
        except LexError:
            pass
        return self.tokens

    def lex_text(self):  # type: ignore[no-untyped-def]
        x = self.input.find(self.left, self.pos)
        if x >= 0:
            if x > self.pos:
                self.pos = x
                trim = 0
                if self.has_left_trim(x + len(self.left)):
                    seg = self.input[self.start : self.pos]
                    trim = len(seg) - len(seg.rstrip(SPACE_CHARS))
                self.pos -= trim
                tok = Token(T.TEXT, self.start, self.input[self.start : self.pos], self.start_line)
                self.line += self.input.count("\n", self.start, self.pos)
                self.start = self.pos
                self.pos += trim
                self.ignore()
                if tok.val:
                    self.tokens.append(tok)
            return self.lex_left_delim
        self.pos = len(self.input)
        if self.pos > self.start:
            self.line += self.input.count("\n", self.start, self.pos)
            self.tokens.append(Token(T.TEXT, self.start, self.input[self.start :], self.start_line))
            self.start = self.pos
            self.start_line = self.line
        self.tokens.append(Token(T.EOF, self.pos, "", self.line))
        return None

    def lex_left_delim(self):  # type: ignore[no-untyped-def]
        self.pos += len(self.left)
        trim = self.has_left_trim(self.pos)
        after = 2 if trim else 0
        if self.input.startswith("/*", self.pos + after):
            self.pos += after
            self.ignore()
            return self.lex_comment
        self.emit(T.LEFT_DELIM)
        self.pos += after
        self.ignore()
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self):  # type: ignore[no-untyped-def]
        self.pos += 2
        i = self.input.find("*/", self.pos)
        if i < 0:
            self.error("unclosed comment")
        self.pos = i + 2
        delim, trim = self.at_right_delim()
        if not delim:
            self.error("comment ends before closing delimiter")
        if trim:
            self.pos += 2
        self.pos += len(self.right)
        if trim:
            seg = self.input[self.pos :]
            self.pos += len(seg) - len(seg.lstrip(SPACE_CHARS))
        self.ignore()
        return self.lex_text

    def lex_right_delim(self):  # type: ignore[no-untyped-def]
        _, trim = self.at_right_delim()
        if trim:
            self.pos += 2
            self.ignore()
        self.pos += len(self.right)
        self.emit(T.RIGHT_DELIM)
        if trim:
            seg = self.input[self.pos :]
            self.pos += len(seg) - len(seg.lstrip(SPACE_CHARS))
            self.ignore()
        return self.lex_text

    def lex_inside_action(self):  # type: ignore[no-untyped-def]  # noqa: C901
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            self.error("unclosed left paren")
        c = self.next()
        if c == "":
            self.error("unclosed action")
        if is_space(c):
            self.backup()
            return self.lex_space
        if c == "=":
            self.emit(T.ASSIGN)
        elif c == ":":
            if self.next() != "=":
                self.error("expected :=")
            self.emit(T.DECLARE)
        elif c == "|":
            self.emit(T.PIPE)
        elif c == '"':
            return self.lex_quote
        elif c == "`":
            return self.lex_raw_quote
        elif c == "$":
            return self.lex_variable
        elif c == "'":
            return self.lex_char
        elif c == "." and self.pos < len(self.input) and not ("0" <= self.input[self.pos] <= "9"):
            return self.lex_field
        elif c in "+-." or "0" <= c <= "9":
            self.backup()
            return self.lex_number
        elif is_alnum(c):
            self.backup()
            return self.lex_identifier
        elif c == "(":
            self.emit(T.LEFT_PAREN)
            self.paren_depth += 1
        elif c == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                self.error("unexpected right paren")
            self.emit(T.RIGHT_PAREN)
        elif ord(c) < 128 and c.isprintable():
            self.emit(T.CHAR)
        else:
            self.error(f"unrecognized character in action: {_go_rune_repr(c)}")
        return self.lex_inside_action

    def lex_space(self):  # type: ignore[no-untyped-def]
        n = 0
        while is_space(self.peek()):
            self.next()
            n += 1
        if self.has_right_trim(self.pos - 1) and self.input.startswith(self.right, self.pos + 1):
            self.backup()
            if n == 1:
                return self.lex_inside_action
        self.emit(T.SPACE)
        return self.lex_inside_action

    def lex_identifier(self):  # type: ignore[no-untyped-def]
        while True:
            c = self.next()
            if c and is_alnum(c):
                continue
            self.backup()
            word = self.input[self.start : self.pos]
            if not self.at_terminator():
                self.error(f"bad character {_go_rune_repr(c)}")
            kw = KEYWORDS.get(word)
            if kw is not None and kw > T.KEYWORD:
                self.emit(kw)
            elif word[0] == ".":
                self.emit(T.FIELD)
            elif word in ("true", "false"):
                self.emit(T.BOOL)
            else:
                self.emit(T.IDENTIFIER)
            return self.lex_inside_action

    def lex_field(self):  # type: ignore[no-untyped-def]
        return self._lex_field_or_variable(T.FIELD)

    def lex_variable(self):  # type: ignore[no-untyped-def]
        if self.at_terminator():
            self.emit(T.VARIABLE)
            return self.lex_inside_action
        return self._lex_field_or_variable(T.VARIABLE)

    def _lex_field_or_variable(self, typ: T):  # type: ignore[no-untyped-def]
        if self.at_terminator():
            self.emit(T.VARIABLE if typ == T.VARIABLE else T.DOT)
            return self.lex_inside_action
        c = ""
        while True:
            c = self.next()
            if not (c and is_alnum(c)):
                self.backup()
                break
        if not self.at_terminator():
            self.error(f"bad character {_go_rune_repr(self.peek())}")
        self.emit(typ)
        return self.lex_inside_action

    def lex_char(self):  # type: ignore[no-untyped-def]
        return self._lex_escaped("'", "unterminated character constant", T.CHAR_CONSTANT)

    def _lex_escaped(self, quote: str, unterminated: str, typ: T):  # type: ignore[no-untyped-def]
        """A character constant or an interpreted string: backslash escapes, no newline inside."""
        while True:
            c = self.next()
            if c == "\\":
                c2 = self.next()
                if c2 not in ("", "\n"):
                    continue
                self.error(unterminated)
            if c in ("", "\n"):
                self.error(unterminated)
            if c == quote:
                break
        self.emit(typ)
        return self.lex_inside_action

    def lex_number(self):  # type: ignore[no-untyped-def]
        if not self._scan_number():
            self.error(f"bad number syntax: {go_quote_prefix(self.input[self.start : self.pos], 10**9)}")
        if self.peek() in ("+", "-") and self.peek() != "":
            if not self._scan_number() or self.input[self.pos - 1] != "i":
                self.error(f"bad number syntax: {go_quote_prefix(self.input[self.start : self.pos], 10**9)}")
            self.emit(T.COMPLEX)
        else:
            self.emit(T.NUMBER)
        return self.lex_inside_action

    def _scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if is_alnum(self.peek()):
            self.next()
            return False
        return True

    def lex_quote(self):  # type: ignore[no-untyped-def]
        return self._lex_escaped('"', "unterminated quoted string", T.STRING)

    def lex_raw_quote(self):  # type: ignore[no-untyped-def]
        while True:
            c = self.next()
            if c == "":
                self.error("unterminated raw quoted string")
            if c == "`":
                break
        self.emit(T.RAW_STRING)
        return self.lex_inside_action


def tokenize(text: str, left: str = "{{", right: str = "}}") -> list[Token]:
    return Lexer(text, left, right).run()
