"""The condition language of guards and rules: small, safe, documented, never `eval`.

    valid_activities >= 3 and days_in_state("lifecycle") > 90
    state("lifecycle") in ["lead", "prospect"] and not has_overdue_payments
    revenue_90d / (revenue_prev_90d + 1) >= 1.2 or complaints_90d > 2

Grammar (lowest precedence first):

    condition  := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum
                      | "not"? "in" "[" literal ("," literal)* "]")?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := number | "text" | true | false | fact | fact "(" literal ("," literal)* ")"
                | "(" condition ")"

A condition is parsed once (`parse`), checked against the registry of facts (names, argument
and result types, the values a fact can take — a state must be one of its dimension's), and
every problem is reported with its position. A checked condition is evaluated two ways that
must agree: `evaluate` for one customer in Python, and `to_sql` as one SQL expression over
all customers. Both follow SQL's three-valued logic: a fact without a value (no order yet)
is unknown; a comparison with an unknown is unknown; `false and unknown` is false, `true or
unknown` true; a condition that ends unknown does not hold. Division by zero is unknown.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Type(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"


TYPE_NAMES = {
    Type.NUMBER: _("a number"),
    Type.TEXT: _("a text"),
    Type.BOOLEAN: _("true or false"),
}


class ConditionError(ValueError):
    """A problem in a condition, at a position (0-based offset into the text)."""

    def __init__(self, message, position: int, text: str = ""):
        self.message = message
        self.position = position
        self.text = text
        super().__init__(str(self))

    @property
    def column(self) -> int:
        return self.position + 1

    def __str__(self) -> str:
        return str(
            _("Column %(column)s: %(message)s") % {"column": self.column, "message": self.message}
        )

    def pointer(self) -> str:
        """The condition with a caret under the problem, for a monospaced display."""
        return f"{self.text}\n{' ' * self.position}^"


class ConditionErrors(ValueError):
    """Every problem found in a condition, in order of position."""

    def __init__(self, errors: list[ConditionError]):
        self.errors = sorted(errors, key=lambda error: error.position)
        super().__init__("; ".join(str(error) for error in self.errors))


# --- facts: what a condition may name ------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    name: str
    type: Type
    # The values the argument may take given the arguments before it (the dimensions' keys;
    # a dimension's states), read when checking.
    choices: Callable[[tuple], Iterable[str]] | None = None


@dataclass(frozen=True)
class FactSignature:
    """What the language knows of a fact: its name, its arguments and its type. `values`
    gives, for arguments, the texts the fact can take (a dimension's state keys), so that
    comparing it with anything else is refused on save."""

    name: str
    type: Type
    parameters: tuple[Parameter, ...] = ()
    values: Callable[[tuple], Iterable[str] | None] | None = None


# --- syntax tree ---------------------------------------------------------------------------


@dataclass
class Node:
    position: int


@dataclass
class Literal(Node):
    value: object
    type: Type


@dataclass
class Fact(Node):
    name: str
    arguments: tuple = ()
    signature: FactSignature | None = None


@dataclass
class Unary(Node):
    operator: str  # "not" or "-"
    operand: Node


@dataclass
class Binary(Node):
    operator: str
    left: Node
    right: Node


@dataclass
class InList(Node):
    operand: Node
    items: list[Literal] = field(default_factory=list)
    negated: bool = False


# --- reading ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<text>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
  | (?P<equals>=)
    """,
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "true", "false"}
COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}
ORDERINGS = {"<", "<=", ">", ">="}
MAX_LENGTH = 2000
MAX_DEPTH = 50
MAX_DIGITS = 15  # integers stay well inside 64 bits in both databases


@dataclass
class Token:
    kind: str  # number, text, name, keyword, operator, end
    value: str
    position: int


def _tokens(text: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            character = text[position]
            if character in "\"'":
                raise ConditionError(_("This text has no closing quote."), position, text)
            raise ConditionError(
                _("“%(character)s” has no meaning here.") % {"character": character},
                position,
                text,
            )
        kind = match.lastgroup
        value = match.group()
        if kind == "equals":
            raise ConditionError(_("Use == to compare."), position, text)
        if kind == "name" and value in KEYWORDS:
            kind = "keyword"
        if kind != "space":
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def error(self, message, token: Token | None = None) -> ConditionError:
        return ConditionError(message, (token or self.current).position, self.text)

    def take(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def accept(self, kind: str, value: str) -> Token | None:
        if self.current.kind == kind and self.current.value == value:
            return self.take()
        return None

    def expect(self, kind: str, value: str) -> Token:
        token = self.accept(kind, value)
        if token is None:
            raise self.error(_("Expected “%(expected)s” here.") % {"expected": value})
        return token

    def parse(self) -> Node:
        if not self.text.strip():
            raise self.error(_("The condition is empty."))
        node = self.or_()
        if self.current.kind != "end":
            raise self.error(
                _("Unexpected “%(token)s”: join conditions with and / or.")
                % {"token": self.current.value}
            )
        return node

    def or_(self) -> Node:
        node = self.and_()
        while token := self.accept("keyword", "or"):
            node = Binary(token.position, "or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while token := self.accept("keyword", "and"):
            node = Binary(token.position, "and", node, self.not_())
        return node

    def not_(self) -> Node:
        if token := self.accept("keyword", "not"):
            self._deeper(token)
            node = Unary(token.position, "not", self.not_())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        token = self.current
        if token.kind == "operator" and token.value in COMPARISONS:
            self.take()
            return Binary(token.position, token.value, node, self.sum())
        negated = False
        if token.kind == "keyword" and token.value == "not":
            following = self.tokens[self.index + 1]
            if following.kind == "keyword" and following.value == "in":
                self.take()
                negated = True
        if in_token := self.accept("keyword", "in"):
            self.expect("operator", "[")
            items = [self.literal()]
            while self.accept("operator", ","):
                items.append(self.literal())
            self.expect("operator", "]")
            return InList(in_token.position, node, items, negated)
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.current.kind == "operator" and self.current.value in ("+", "-"):
            token = self.take()
            node = Binary(token.position, token.value, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.current.kind == "operator" and self.current.value in ("*", "/"):
            token = self.take()
            node = Binary(token.position, token.value, node, self.unary())
        return node

    def unary(self) -> Node:
        if token := self.accept("operator", "-"):
            self._deeper(token)
            node = Unary(token.position, "-", self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def _deeper(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(_("The condition is nested too deeply."), token)

    def literal(self) -> Literal:
        token = self.current
        if token.kind == "operator" and token.value == "-":
            self.take()
            if self.current.kind != "number":
                raise self.error(_("Expected a number, a text in quotes, true or false here."))
            number = self.literal()
            return Literal(token.position, -number.value, Type.NUMBER)
        if token.kind == "number":
            self.take()
            if len(token.value.split(".")[0]) > MAX_DIGITS:
                raise self.error(
                    _("A number has at most %(digits)s digits before the point.")
                    % {"digits": MAX_DIGITS},
                    token,
                )
            return Literal(token.position, _number(token.value), Type.NUMBER)
        if token.kind == "text":
            self.take()
            return Literal(token.position, _unquote(token.value), Type.TEXT)
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.take()
            return Literal(token.position, token.value == "true", Type.BOOLEAN)
        raise self.error(_("Expected a number, a text in quotes, true or false here."))

    def primary(self) -> Node:
        token = self.current
        if token.kind in ("number", "text") or (
            token.kind == "keyword" and token.value in ("true", "false")
        ):
            return self.literal()
        if token.kind == "name":
            self.take()
            arguments = ()
            if self.accept("operator", "("):
                values = [self.literal()]
                while self.accept("operator", ","):
                    values.append(self.literal())
                self.expect("operator", ")")
                arguments = tuple(values)
            return Fact(token.position, token.value, arguments)
        if self.accept("operator", "("):
            self._deeper(token)
            node = self.or_()
            self.depth -= 1
            self.expect("operator", ")")
            return node
        if token.kind == "end":
            raise self.error(_("The condition ends too early."))
        raise self.error(_("Unexpected “%(token)s”.") % {"token": token.value})


def _number(text: str):
    return Decimal(text) if "." in text else int(text)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


# --- checking --------------------------------------------------------------------------------


class _Checker:
    def __init__(self, text: str, facts: dict[str, FactSignature]):
        self.text = text
        self.facts = facts
        self.errors: list[ConditionError] = []

    def fail(self, message, node: Node) -> None:
        self.errors.append(ConditionError(message, node.position, self.text))

    def type_of(self, node: Node) -> Type | None:
        """The node's type, or None when it is wrong (the error is recorded)."""
        if isinstance(node, Literal):
            return node.type
        if isinstance(node, Fact):
            return self.fact(node)
        if isinstance(node, Unary):
            wanted = Type.BOOLEAN if node.operator == "not" else Type.NUMBER
            self.expect(node.operand, wanted, node.operator)
            return wanted
        if isinstance(node, InList):
            operand = self.type_of(node.operand)
            for item in node.items:
                if operand is not None and item.type != operand:
                    self.mismatch(item, operand, item.type)
                else:
                    self.check_value(node.operand, item)
            return Type.BOOLEAN
        return self.binary(node)

    def binary(self, node: Binary) -> Type | None:
        if node.operator in ("and", "or"):
            self.expect(node.left, Type.BOOLEAN, node.operator)
            self.expect(node.right, Type.BOOLEAN, node.operator)
            return Type.BOOLEAN
        if node.operator in ("+", "-", "*", "/"):
            self.expect(node.left, Type.NUMBER, node.operator)
            self.expect(node.right, Type.NUMBER, node.operator)
            return Type.NUMBER
        left, right = self.type_of(node.left), self.type_of(node.right)
        if left is not None and right is not None:
            if left != right:
                self.mismatch(node.right, left, right)
            elif node.operator in ORDERINGS and left != Type.NUMBER:
                self.fail(
                    _("Only numbers can be compared with %(operator)s.")
                    % {"operator": node.operator},
                    node,
                )
            else:
                for side, other in ((node.left, node.right), (node.right, node.left)):
                    if isinstance(other, Literal):
                        self.check_value(side, other)
        return Type.BOOLEAN

    def mismatch(self, node: Node, wanted: Type, found: Type) -> None:
        self.fail(
            _("Expected %(wanted)s here, found %(found)s.")
            % {"wanted": TYPE_NAMES[wanted], "found": TYPE_NAMES[found]},
            node,
        )

    def expect(self, node: Node, wanted: Type, operator: str) -> None:
        found = self.type_of(node)
        if found is not None and found != wanted:
            self.fail(
                _("“%(operator)s” needs %(wanted)s, not %(found)s.")
                % {"operator": operator, "wanted": TYPE_NAMES[wanted], "found": TYPE_NAMES[found]},
                node,
            )

    def check_value(self, node: Node, literal: Literal) -> None:
        """A text compared with a fact that has a known set of values must be one of them."""
        if not (isinstance(node, Fact) and node.signature and node.signature.values):
            return
        allowed = node.signature.values(tuple(argument.value for argument in node.arguments))
        if allowed is None:
            return
        allowed = sorted(set(allowed))
        if literal.value not in allowed:
            self.fail(
                _("“%(value)s” is not a value of %(fact)s; it can be: %(allowed)s.")
                % {"value": literal.value, "fact": node.name, "allowed": ", ".join(allowed)},
                literal,
            )

    def fact(self, node: Fact) -> Type | None:
        signature = self.facts.get(node.name)
        if signature is None:
            self.fail(_("Unknown fact “%(name)s”.") % {"name": node.name}, node)
            return None
        node.signature = signature
        parameters = signature.parameters
        if len(node.arguments) != len(parameters):
            if not parameters:
                message = _("%(name)s takes no arguments.") % {"name": node.name}
            else:
                message = _("%(name)s takes %(count)s argument(s): %(parameters)s.") % {
                    "name": node.name,
                    "count": len(parameters),
                    "parameters": ", ".join(parameter.name for parameter in parameters),
                }
            self.fail(message, node)
            return signature.type
        for index, (argument, parameter) in enumerate(zip(node.arguments, parameters, strict=True)):
            if argument.type != parameter.type:
                self.mismatch(argument, parameter.type, argument.type)
                return signature.type
            if parameter.choices is not None:
                before = tuple(earlier.value for earlier in node.arguments[:index])
                choices = sorted(set(parameter.choices(before) or ()))
                if argument.value not in choices:
                    self.fail(
                        _("“%(value)s” is not a %(parameter)s; it can be: %(choices)s.")
                        % {
                            "value": argument.value,
                            "parameter": parameter.name,
                            "choices": ", ".join(choices),
                        },
                        argument,
                    )
                    return signature.type
        return signature.type


@dataclass
class Condition:
    """A parsed and checked condition."""

    text: str
    tree: Node

    def facts(self) -> list[Fact]:
        """The facts the condition reads, in order of appearance."""
        found = []

        def walk(node):
            if isinstance(node, Fact):
                found.append(node)
            elif isinstance(node, Unary):
                walk(node.operand)
            elif isinstance(node, Binary):
                walk(node.left)
                walk(node.right)
            elif isinstance(node, InList):
                walk(node.operand)

        walk(self.tree)
        return found


def parse(text: str, facts: dict[str, FactSignature]) -> Condition:
    """Read and check `text` against the registry `facts`; raise ConditionErrors listing
    every problem with its position."""
    text = text or ""
    if len(text) > MAX_LENGTH:
        raise ConditionErrors(
            [
                ConditionError(
                    _("A condition has at most %(limit)s characters.") % {"limit": MAX_LENGTH},
                    MAX_LENGTH,
                    text,
                )
            ]
        )
    try:
        tree = _Parser(text).parse()
    except ConditionError as error:
        raise ConditionErrors([error]) from None
    checker = _Checker(text, facts)
    kind = checker.type_of(tree)
    if kind is not None and kind != Type.BOOLEAN and not checker.errors:
        checker.fail(
            _("A condition must be true or false; this is %(found)s.")
            % {"found": TYPE_NAMES[kind]},
            tree,
        )
    if checker.errors:
        raise ConditionErrors(checker.errors)
    return Condition(text, tree)


# --- evaluating for one customer -------------------------------------------------------------


def evaluate(condition: Condition, value_of: Callable[[Fact], object]) -> bool:
    """Whether the condition holds, given each fact's value (None: unknown)."""
    return _value(condition.tree, value_of) is True


def _value(node: Node, value_of):
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Fact):
        value = value_of(node)
        return float(value) if isinstance(value, Decimal) else value
    if isinstance(node, Unary):
        operand = _value(node.operand, value_of)
        if operand is None:
            return None
        return (not operand) if node.operator == "not" else -operand
    if isinstance(node, InList):
        operand = _value(node.operand, value_of)
        if operand is None:
            return None
        found = any(_equal(operand, item.value) for item in node.items)
        return found != node.negated
    left = _value(node.left, value_of)
    if node.operator in ("and", "or"):
        right = _value(node.right, value_of)
        if node.operator == "and":
            if left is False or right is False:
                return False
            return None if left is None or right is None else True
        if left is True or right is True:
            return True
        return None if left is None or right is None else False
    right = _value(node.right, value_of)
    if left is None or right is None:
        return None
    left, right = _plain(left), _plain(right)
    match node.operator:
        case "+":
            return left + right
        case "-":
            return left - right
        case "*":
            return left * right
        case "/":
            return None if right == 0 else float(left) / float(right)
        case "==":
            return _equal(left, right)
        case "!=":
            return not _equal(left, right)
        case "<":
            return left < right
        case "<=":
            return left <= right
        case ">":
            return left > right
        case ">=":
            return left >= right
    raise AssertionError(node.operator)


def _plain(value):
    # Decimal literals compute as the databases' double precision does.
    return float(value) if isinstance(value, Decimal) else value


def _equal(left, right) -> bool:
    return _plain(left) == _plain(right)


# --- compiling to SQL ------------------------------------------------------------------------

SQL_OPERATORS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def to_sql(condition: Condition, sql_of: Callable[[Fact], tuple[str, list]]) -> tuple[str, list]:
    """The condition as one SQL boolean expression with %s parameters, given each fact's
    SQL. Rows where it is NULL (unknown) do not match a WHERE, as `evaluate` says False."""
    return _sql(condition.tree, sql_of)


def _sql(node: Node, sql_of) -> tuple[str, list]:
    if isinstance(node, Literal):
        if node.type == Type.BOOLEAN:
            return ("(1 = 1)" if node.value else "(1 = 0)"), []
        if isinstance(node.value, Decimal):
            return "%s", [float(node.value)]
        if isinstance(node.value, int):
            # PostgreSQL would type a small integer parameter as smallint and overflow on
            # multiplying; both databases compute integers in 64 bits this way.
            return "CAST(%s AS BIGINT)", [node.value]
        return "%s", [node.value]
    if isinstance(node, Fact):
        return sql_of(node)
    if isinstance(node, Unary):
        operand, params = _sql(node.operand, sql_of)
        return (f"(NOT {operand})" if node.operator == "not" else f"(-{operand})"), params
    if isinstance(node, InList):
        operand, params = _sql(node.operand, sql_of)
        items = []
        for item in node.items:
            item_sql, item_params = _sql(item, sql_of)
            items.append(item_sql)
            params = params + item_params
        keyword = "NOT IN" if node.negated else "IN"
        return f"({operand} {keyword} ({', '.join(items)}))", params
    left, left_params = _sql(node.left, sql_of)
    right, right_params = _sql(node.right, sql_of)
    params = left_params + right_params
    if node.operator in ("and", "or"):
        return f"({left} {node.operator.upper()} {right})", params
    if node.operator == "/":
        # Division in double precision both ways (SQLite and PostgreSQL divide integers as
        # integers), unknown when dividing by zero (PostgreSQL would raise).
        return (f"(CAST({left} AS DOUBLE PRECISION) / NULLIF({right}, 0))", params)
    operator = SQL_OPERATORS.get(node.operator, node.operator)
    return f"({left} {operator} {right})", params
