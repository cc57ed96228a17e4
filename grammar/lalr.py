"""A small LALR(1) runtime over the tables Lark builds from `filter.lark`.

Lark analyses the grammar (terminals, priorities, the LALR table, which symbols `_` and `?` drop or
inline); this module only runs the result. Lark's own runtime spends most of a short query in generic
layers (a Token object per terminal, three wrappers per callback, Rule hashing per reduction); this
loop does the same work in about a third of the time. `tests/grammar` checks it against Lark's runtime
on the same grammar and transformer.

Nothing here recurses: the parse is one loop over an explicit state stack, and each reduction calls
one builder on the popped values, so 5,000 nested parentheses only grow two lists.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from lark.parsers.lalr_analysis import Shift

if TYPE_CHECKING:
    from lark import Lark
    from lark.grammar import Rule

END = "$END"


class Token:
    """A terminal as lexed: the attributes that the transformer reads, named as on `lark.Token`."""

    __slots__ = ("type", "value", "start_pos", "end_pos", "line", "column")

    def __init__(self, type_: str, value: str, start_pos: int, end_pos: int, line: int, column: int) -> None:
        self.type = type_
        self.value = value
        self.start_pos = start_pos
        self.end_pos = end_pos
        self.line = line
        self.column = column

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r}, {self.line}:{self.column})"


class ParseFailure(Exception):
    """The input stops fitting the grammar at `offset`; `token` is None when nothing could be lexed there."""

    def __init__(self, offset: int, token: Optional[Token]) -> None:
        super().__init__(offset, token)
        self.offset = offset
        self.token = token


# A reduction: (number of popped values, the nonterminal it makes, call inline?, builder or None).
_Reduction = Tuple[int, str, bool, Optional[Callable[..., Any]]]


class Runtime:
    """Lexer and LALR driver for one compiled Lark grammar and one transformer."""

    def __init__(self, lark: Lark, transformer: object,
                 token_values: Dict[str, Callable[[str, int], str]]) -> None:
        """Compiles `lark`'s tables.

        Args:
            lark: a Lark(parser="lalr") instance with one start symbol.
            transformer: methods named after the rules, called with the kept children inline.
            token_values: terminal name -> function(text, start offset) giving the token's value;
                it may raise to reject a malformed literal as soon as it is lexed.
        """
        frontend_parser = lark.parser.parser.parser  # ParsingFrontend -> LALR_Parser -> _Parser
        table = frontend_parser.parse_table
        (start,) = lark.options.start
        self.start_state: int = table.start_states[start]
        self.end_state: int = table.end_states[start]

        rule_ids: Dict[Rule, int] = {}
        self.reductions: List[_Reduction] = []
        # state -> terminal -> next state (>= 0) or ~reduction index (< 0)
        self.actions: Dict[int, Dict[str, int]] = {}
        # state -> nonterminal -> next state
        self.gotos: Dict[int, Dict[str, int]] = {}
        for state, row in table.states.items():
            actions: Dict[str, int] = {}
            gotos: Dict[str, int] = {}
            for symbol, (action, arg) in row.items():
                symbol = str(symbol)  # plain str: Lark's names may be Token, whose __eq__ is Python code
                if action is Shift:
                    (actions if symbol == END or symbol.isupper() else gotos)[symbol] = arg
                else:
                    if arg not in rule_ids:
                        rule_ids[arg] = len(self.reductions)
                        self.reductions.append(
                            (len(arg.expansion), str(arg.origin.name), *_builder(arg, transformer)))
                    actions[symbol] = ~rule_ids[arg]
            self.actions[state] = actions
            self.gotos[state] = gotos
        self.terminals: Set[str] = {str(t.name) for t in lark.terminals} - {str(t) for t in lark.ignore_tokens}

        # One alternation in Lark's own terminal order: priority first, so keywords beat PATH.
        # The %ignore terminals lead each match, so one match call finds the gap and the next token.
        ignored = {str(t) for t in lark.ignore_tokens}
        ordered = sorted((t for t in lark.terminals if t.name not in ignored),
                         key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
        gap = "|".join(t.pattern.to_regexp() for t in lark.terminals if t.name in ignored) or "(?!)"
        alternatives = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in ordered)
        self.scanner = re.compile(f"(?:{gap})*(?:{alternatives})?")
        self.token_values = token_values

    def parse(self, text: str) -> Any:
        """Returns the transformer's value for `text`, or raises ParseFailure."""
        return self._run(text, len(text), True)

    def states_before(self, text: str, offset: int) -> List[int]:
        """The state stack after the tokens that end before `offset`, without building values."""
        return self._run(text, offset, False)

    def lex(self, text: str, stop: int) -> Iterator[Tuple[str, int, int]]:
        """(terminal, start, end) of each token that starts before `stop`, until one cannot be lexed (for errors)."""
        pos = 0
        while True:
            found = self.scanner.match(text, pos)
            kind = found.lastgroup if found is not None else None
            if found is None or kind is None or found.start(kind) >= stop:
                return
            yield kind, found.start(kind), found.end(kind)
            pos = found.end(kind)

    def acceptable(self, stack: Sequence[int]) -> Set[str]:
        """The terminals (and END) that the parser would take next in `stack`."""
        return {t for t in (*self.terminals, END) if self._accepts(list(stack), t)}

    def _accepts(self, stack: List[int], terminal: str) -> bool:
        while True:
            action = self.actions[stack[-1]].get(terminal)
            if action is None:
                return False
            if action >= 0:
                return True
            size, name, _, _ = self.reductions[~action]
            if size:
                del stack[-size:]
            stack.append(self.gotos[stack[-1]][name])
            if terminal == END and stack[-1] == self.end_state:
                return True

    def _run(self, text: str, stop: int, build: bool) -> Any:
        # The hot loop: everything is bound to locals, and the common reductions are spelled inline.
        actions, gotos, reductions = self.actions, self.gotos, self.reductions
        match, token_values = self.scanner.match, self.token_values
        count_lines = "\n" in text
        stack = [self.start_state]
        values: List[Any] = []
        pos, line, line_start = 0, 1, 0
        while True:
            found = match(text, pos)  # whitespace, then one token or nothing
            assert found is not None  # the scanner's pattern also matches the empty string
            kind = found.lastgroup
            if kind is None:
                start = found.end()
                if start < len(text):
                    if start >= stop:
                        break
                    raise ParseFailure(start, None)
                break
            start, end = found.span(kind)
            if start >= stop:
                break
            if count_lines:
                newlines = text.count("\n", pos, start)
                if newlines:
                    line += newlines
                    line_start = text.rindex("\n", pos, start) + 1
            value = found.group(kind)
            if build and kind in token_values:
                value = token_values[kind](value, start)
            token = Token(kind, value, start, end, line, start - line_start + 1)
            if count_lines:
                newlines = text.count("\n", start, end)
                if newlines:
                    line += newlines
                    line_start = text.rindex("\n", start, end) + 1
            while True:
                action = actions[stack[-1]].get(kind)
                if action is None:
                    if not build:
                        return stack
                    raise ParseFailure(start, token)
                if action >= 0:
                    stack.append(action)
                    values.append(token)
                    break
                size, name, call, builder = reductions[~action]
                if builder is None:  # a `?rule` with one child: the value stays, only the state changes
                    stack[-1] = gotos[stack[-2]][name]
                    continue
                children = values[-size:]
                del values[-size:]
                del stack[-size:]
                if build:
                    values.append(builder(*children) if call else builder(children))
                else:
                    values.append(None)
                stack.append(gotos[stack[-1]][name])
            pos = end
        if not build:
            return stack
        end_state = self.end_state
        while True:
            action = actions[stack[-1]].get(END)
            if action is None or action >= 0:
                raise ParseFailure(len(text), Token(END, "", len(text), len(text), line, len(text) - line_start + 1))
            size, name, call, builder = reductions[~action]
            if builder is None:
                stack[-1] = gotos[stack[-2]][name]
            else:
                children = values[-size:]
                del values[-size:]
                del stack[-size:]
                values.append(builder(*children) if call else builder(children))
                stack.append(gotos[stack[-1]][name])
            if stack[-1] == end_state:
                return values[-1]


def _builder(rule: Rule, transformer: object) -> Tuple[bool, Optional[Callable[..., Any]]]:
    """How to make a reduction's value, following Lark's tree-shaping rules: (call inline?, function).

    Terminals named `_X` are dropped; a nonterminal named `_x` (including Lark's own `__x_star_0` helpers
    for `*` and `+`) is spliced into its parent's children; a `?rule` with one kept child is that child
    (function None); any other rule calls the transformer method of the same name with the kept
    children inline (call True) or through a function that first drops and splices (call False).
    """
    symbols = rule.expansion
    kept = [i for i, s in enumerate(symbols) if not (s.is_term and s.filter_out)]  # type: ignore[attr-defined]
    spliced = [i for i in kept if not symbols[i].is_term and symbols[i].name.startswith("_")]
    name = rule.alias or rule.origin.name
    inline = name.startswith("_")
    expand1 = bool(rule.options.expand1)
    plain = not spliced and len(kept) == len(symbols)
    if plain and expand1 and len(symbols) == 1:
        return True, None
    if plain and inline:
        return False, _same
    method = None
    if not inline:
        method = getattr(transformer, name, None)
        if method is None:
            raise TypeError(f"{type(transformer).__name__} has no method {name}() for the rule {rule}")
        method = getattr(method, "base_func", method)  # past Lark's v_args wrapper: we call inline anyway
    if plain and not expand1:
        return True, method

    def build(children: List[Any]) -> Any:
        if spliced and kept[0] == spliced[0]:
            out = children[kept[0]]  # a list made by an earlier reduction and owned by nobody else
            rest = kept[1:]
        else:
            out = []
            rest = kept
        for i in rest:
            if i in spliced:
                out.extend(children[i])
            else:
                out.append(children[i])
        if inline:
            return out
        if expand1 and len(out) == 1:
            return out[0]
        return method(*out)  # type: ignore[misc]

    return False, build


def _same(children: List[Any]) -> List[Any]:
    return children
