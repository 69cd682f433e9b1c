"""Rule statements: byte match, regex, regex pattern sets, size constraints, and/or/not.

Each statement evaluates to match or no match for one request, as the WAFv2 API reference defines
it; a statement type, field or transformation not reproduced here raises NotEmulatedError.
Rate-based statements keep state across requests and are evaluated by `rate` (top level only, as
AWS allows them).
"""

import base64
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from foundry_waf.errors import InvalidWebAclError, NotEmulatedError
from foundry_waf.fields import Inspected, inspect
from foundry_waf.labels import Labels
from foundry_waf.request import WafRequest
from foundry_waf.transformations import transform

_WORD_CHARACTER = re.compile(rb"[A-Za-z0-9_]")
# https://docs.aws.amazon.com/waf/latest/APIReference/API_SizeConstraintStatement.html
_COMPARISONS: Mapping[str, Callable[[int, int], bool]] = {
    "EQ": operator.eq,
    "NE": operator.ne,
    "LE": operator.le,
    "LT": operator.lt,
    "GE": operator.ge,
    "GT": operator.gt,
}
# https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html: AWS WAF
# refuses "Backreferences and capturing subexpressions", conditional patterns, "The \C single-byte
# directive", "The \R newline match directive", "The \K start of match reset directive", "Atomic
# grouping and possessive quantifiers". A pattern with one of them would fail to deploy.
_UNSUPPORTED_REGEX = (
    (re.compile(r"(?<!\\)\((?!\?)"), "a capturing group (write (?:...) instead)"),
    (re.compile(r"\\[1-9]|\\[gk][<{'\d]"), "a backreference"),
    (re.compile(r"\\[CRK]"), r"\C, \R or \K"),
    (re.compile(r"\(\?>"), "atomic grouping"),
    (re.compile(r"\(\?\("), "a conditional pattern"),
    (re.compile(r"(?<!\\)[*+?}]\+"), "a possessive quantifier"),
)


@dataclass(frozen=True, kw_only=True)
class Context:
    """What statements need besides the request: the body limit and the regex pattern sets."""

    body_limit: int
    # RegexPatternSet ARNs (or template logical ids) -> their regular expressions.
    regex_pattern_sets: Mapping[str, Sequence[str]] = field(default_factory=dict)


def _values(statement: Mapping[str, Any], request: WafRequest, context: Context) -> Inspected:
    found = inspect(statement["FieldToMatch"], request, body_limit=context.body_limit)
    if found.decided is not None:
        return found
    steps = statement.get("TextTransformations", [])
    return Inspected(tuple(transform(value, steps) for value in found.values))


def _search_string(statement: Mapping[str, Any]) -> bytes:
    # CloudFormation takes SearchString as text or SearchStringBase64; GetWebACL returns bytes.
    if "SearchStringBase64" in statement:
        return base64.b64decode(statement["SearchStringBase64"])
    raw = statement["SearchString"]
    return raw if isinstance(raw, bytes) else str(raw).encode()


def _byte_match(value: bytes, search: bytes, position: str) -> bool:
    """https://docs.aws.amazon.com/waf/latest/APIReference/API_ByteMatchStatement.html (PositionalConstraint)."""
    if position == "EXACTLY":
        return value == search
    if position == "STARTS_WITH":
        return value.startswith(search)
    if position == "ENDS_WITH":
        return value.endswith(search)
    if position == "CONTAINS":
        return search in value
    if position == "CONTAINS_WORD":
        # "SearchString must be a word": at the start of the value or preceded by a character other
        # than an alphanumeric character or underscore, and at the end or followed by one.
        start = value.find(search)
        while start != -1:
            end = start + len(search)
            before_ok = start == 0 or not _WORD_CHARACTER.fullmatch(value[start - 1 : start])
            after_ok = end == len(value) or not _WORD_CHARACTER.fullmatch(value[end : end + 1])
            if before_ok and after_ok:
                return True
            start = value.find(search, start + 1)
        return False
    raise InvalidWebAclError(f"ByteMatchStatement PositionalConstraint {position!r} does not exist")


@lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re.Pattern[bytes]:
    """An AWS WAF regular expression as Python compiles it, refusing what AWS refuses."""
    for construct, what in _UNSUPPORTED_REGEX:
        if construct.search(pattern):
            raise InvalidWebAclError(f"AWS WAF does not support {what} in a regex: {pattern!r}")
    try:
        return re.compile(pattern.encode())
    except re.error as error:
        raise InvalidWebAclError(f"invalid regex {pattern!r}: {error}") from None


def _any(found: Inspected, test: Callable[[bytes], bool]) -> bool:
    if found.decided is not None:
        return found.decided
    return any(test(value) for value in found.values)


def matches(
    statement: Mapping[str, Any], request: WafRequest, context: Context, labels: Labels | None = None
) -> bool:
    """Whether `statement` (one Statement object) matches `request`, carrying `labels` so far.

    And matches when every statement does, Or when one does
    (https://docs.aws.amazon.com/waf/latest/APIReference/API_AndStatement.html, API_OrStatement.html).
    Both stop at the first statement that decides the result: the answer is the same, and a
    statement that cannot change it is never reported as not emulated.
    """
    labels = labels if labels is not None else Labels()
    if len(statement) != 1:
        raise InvalidWebAclError(f"a Statement holds exactly one statement type, not {sorted(statement)}")
    ((kind, body),) = statement.items()
    if kind == "ByteMatchStatement":
        search, position = _search_string(body), body["PositionalConstraint"]
        return _any(_values(body, request, context), lambda value: _byte_match(value, search, position))
    if kind == "RegexMatchStatement":
        regex = compile_regex(body["RegexString"])
        return _any(_values(body, request, context), lambda value: regex.search(value) is not None)
    if kind == "RegexPatternSetReferenceStatement":
        patterns = context.regex_pattern_sets.get(_reference(body["Arn"]))
        if patterns is None:
            raise NotEmulatedError(f"RegexPatternSet {body['Arn']} is not in the template or account read")
        regexes = [compile_regex(pattern) for pattern in patterns]
        # A pattern set matches when any of its expressions does.
        return _any(_values(body, request, context), lambda value: any(r.search(value) for r in regexes))
    if kind == "SizeConstraintStatement":
        compare, size = _COMPARISONS[body["ComparisonOperator"]], int(body["Size"])
        return _any(_values(body, request, context), lambda value: compare(len(value), size))
    if kind == "AndStatement":
        return all(matches(inner, request, context, labels) for inner in body["Statements"])
    if kind == "OrStatement":
        return any(matches(inner, request, context, labels) for inner in body["Statements"])
    if kind == "NotStatement":
        return not matches(body["Statement"], request, context, labels)
    if kind == "LabelMatchStatement":
        return labels.matches(scope=body["Scope"], key=body["Key"])
    raise NotEmulatedError(kind)


def _reference(arn: Any) -> str:
    """A pattern set's key: the logical id of a template's {"Fn::GetAtt": [id, "Arn"]}, or the ARN."""
    if isinstance(arn, Mapping) and "Fn::GetAtt" in arn:
        return str(arn["Fn::GetAtt"][0])
    return str(arn)
