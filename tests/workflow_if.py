"""The incident workflow's job-level `if`, evaluated in Python: which webhook deliveries
start a job (a test counts jobs without act).

The expression is read from .github/workflows/incident.yml, not copied, and evaluated with
the rules of GitHub's expression language that it uses (docs.github.com, "Evaluate
expressions in workflows and actions"): `!`, `&&`, `||`, `==`, `!=`, parentheses, string
literals, property paths with `*`, and `contains`, `join`, `startsWith`, `fromJSON`; strings
compare case-insensitively, a missing property is null, and null, false, 0 and '' are
falsy. tests/e2e/test_lock_and_hide_act.py checks its answers against act's on the same
payloads, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "incident.yml"
_TOKEN = re.compile(r"\s*(&&|\|\||==|!=|[()!.,*]|'(?:[^']|'')*'|[A-Za-z_][\w-]*|\d+(?:\.\d+)?)")


@lru_cache(maxsize=1)
def job_if() -> str:
    """The handle job's `if`, as the workflow file has it."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return str(workflow["jobs"]["handle"]["if"])


def starts_job(event_name: str, payload: dict[str, Any]) -> bool:
    """Whether this delivery starts incident.yml's handle job."""
    context = {"github": {"event_name": event_name, "event": payload}}
    return truthy(_Parser(job_if(), context).expression())


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _number(value: Any) -> float:
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip() or 0)
        except ValueError:
            return math.nan
    return math.nan


def equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b):
        return bool(a == b)
    return _number(a) == _number(b)  # "If the types do not match, ... coerces ... to a number"


def _contains(search: Any, item: Any) -> bool:
    if isinstance(search, list):
        return any(equal(x, item) for x in search)
    return str(item if item is not None else "").lower() in str(search or "").lower()


FUNCTIONS = {
    "contains": _contains,
    "startswith": lambda s, p: str(s or "").lower().startswith(str(p or "").lower()),
    "join": lambda items, sep=",": (
        sep.join("" if x is None else str(x) for x in items)
        if isinstance(items, list)
        else str(items or "")
    ),
    "fromjson": lambda text: json.loads(text),
}


class _Parser:
    def __init__(self, text: str, context: dict[str, Any]) -> None:
        self.tokens: list[str] = []
        at = 0
        while at < len(text.rstrip()):
            m = _TOKEN.match(text, at)
            if m is None:
                raise ValueError(f"cannot read the expression at {text[at : at + 20]!r}")
            self.tokens.append(m.group(1))
            at = m.end()
        self.at = 0
        self.context = context

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.at]
        if expected is not None and token != expected:
            raise ValueError(f"expected {expected!r}, found {token!r}")
        self.at += 1
        return token

    def expression(self) -> Any:
        value = self.either()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r}")
        return value

    def either(self) -> Any:
        value = self.both()
        while self.peek() == "||":
            self.take()
            other = self.both()
            value = value if truthy(value) else other
        return value

    def both(self) -> Any:
        value = self.comparison()
        while self.peek() == "&&":
            self.take()
            other = self.comparison()
            value = other if truthy(value) else value
        return value

    def comparison(self) -> Any:
        value = self.unary()
        if self.peek() in ("==", "!="):
            op = self.take()
            other = self.unary()
            return equal(value, other) == (op == "==")
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        token = self.take()
        if token == "(":
            value = self.either()
            self.take(")")
            return value
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if token[0].isdigit():
            return float(token)
        literal = {"null": None, "true": True, "false": False}
        if token in literal:
            return literal[token]
        if self.peek() == "(":
            self.take("(")
            args = []
            while self.peek() != ")":
                args.append(self.either())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            return FUNCTIONS[token.lower()](*args)
        return self.path(self.context.get(token))

    def path(self, value: Any) -> Any:
        names = []
        while self.peek() == ".":
            self.take(".")
            names.append(self.take())
        return walk(value, names)


def walk(value: Any, names: list[str]) -> Any:
    """Follow a property path; `*` maps the rest of it over a list's items (or an object's
    values), so `issue.labels.*.name` is the labels' names."""
    for i, name in enumerate(names):
        if name == "*":
            if isinstance(value, dict):
                value = list(value.values())
            items = value if isinstance(value, list) else []
            return [walk(item, names[i + 1 :]) for item in items]
        value = value.get(name) if isinstance(value, dict) else None
    return value
