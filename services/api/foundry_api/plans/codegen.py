"""Each object plan's field loop written out as Python source and compiled once, as graphql-jit
compiles a known query to JavaScript (https://github.com/zalando-incubator/graphql-jit).

graphql-core's `execute_fields` loops over an object's fields and, for each, works out what the
field is before doing its work. The plan knows that at start-up: each field's kind, shape, leaf
types and attribute name. The function made here is the loop unrolled for one plan with those facts
folded into the code: `value = source.filename; if type(value) is str: results["filename"] = value`.
Every other case (an error, an awaitable, a value of an unexpected type, a resolver) calls the same
`Run` method graphql-core's step would (execute_field, complete_resolved, handle_field_error), and
awaitables are gathered and abandoned ones settled as graphql-core does. The differential tests hold
the result equal to graphql-core's on every trusted document, and catch a planted mistake here.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.relay.utils import to_base64

from foundry_api.plans.nodes import (
    ATTRIBUTE,
    RELAY_ID,
    SHAPE_LEAF,
    SHAPE_OBJECT,
    SHAPE_OBJECT_LIST,
    TYPENAME,
    FieldPlan,
    ObjectPlan,
)
from foundry_api.plans.run import INT32_MAX, INT32_MIN, _path

FieldsFunction = Callable[[Any, Any, Any], Any]


def compile_fields(plan: ObjectPlan) -> FieldsFunction:
    """`plan`'s execute_fields as a function of (run, source, path)."""
    names: dict[str, Any] = {
        "path_to": _path,  # the field's Path, made only on the error path
        "is_awaitable": optimized_is_awaitable,
        "to_base64": to_base64,
        "INT_MIN": INT32_MIN,
        "INT_MAX": INT32_MAX,
    }
    lines = [
        "def execute_fields(run, source, path):",
        "    results = {}",
        "    awaitable_fields = []",
        "    try:",
    ]
    for index, f in enumerate(plan.fields):
        names[f"F{index}"] = f
        names[f"K{index}"] = f.key
        lines += [f"        # {f.key}", *_indent(_field(f, index, names), 8)]
    if not plan.fields:
        lines.append("        pass")
    lines += [
        "    except Exception:",
        "        if awaitable_fields:",
        "            run.settle_in_background([results[key] for key in awaitable_fields])",
        "        raise",
        "    if not awaitable_fields:",
        "        return results",
        "    return run.gather_fields(results, awaitable_fields)",
    ]
    source = "\n".join(lines) + "\n"
    code = compile(source, f"<plan {plan.gql_type.name}>", "exec")
    exec(code, names)  # noqa: S102 - source built above from the plan's own names, bound as constants
    function: FieldsFunction = names["execute_fields"]
    function.__doc__ = source  # what runs, for whoever debugs a plan
    return function


def _indent(lines: list[str], spaces: int) -> list[str]:
    return [" " * spaces + line for line in lines]


def _read(attr: str, index: int, names: dict[str, Any]) -> str:
    """`source.<attr>` when it can be spelled so, else getattr with the name as a constant."""
    if attr.isidentifier() and not keyword.iskeyword(attr):
        return f"source.{attr}"
    names[f"A{index}"] = attr
    return f"getattr(source, A{index})"


def _generic(index: int) -> list[str]:
    """execute_fields' tail for a field that took no fast path: execute_field."""
    return _tail(index, f"run.execute_field(F{index}, source, path)")


def _resolved(index: int) -> list[str]:
    """execute_fields' tail for an attribute value that took no fast path: complete_resolved."""
    return _tail(index, f"run.complete_resolved(F{index}, source, path, value)")


def _tail(index: int, call: str) -> list[str]:
    return [
        f"result = {call}",
        f"results[K{index}] = result",
        "if is_awaitable(result):",
        f"    awaitable_fields.append(K{index})",
    ]


def _field(f: FieldPlan, i: int, names: dict[str, Any]) -> list[str]:
    if f.kind is TYPENAME:
        names[f"T{i}"] = f.typename
        return [f"results[K{i}] = T{i}"]
    if f.kind is RELAY_ID:
        names[f"RC{i}"] = f.relay_cls
        names[f"T{i}"] = f.typename
        return [
            f"if type(source) is RC{i}:",
            "    try:",
            f"        node_id = {_read(f.relay_attr, i, names)}",
            "    except Exception:  # the resolver's own path raises and reports it",
            "        node_id = None",
            "    if type(node_id) is str:",
            f"        results[K{i}] = to_base64(T{i}, node_id)",
            "    else:",
            *_indent(_generic(i), 8),
            "else:",
            *_indent(_generic(i), 4),
        ]
    if f.kind is not ATTRIBUTE:
        return _generic(i)
    names[f"T{i}"] = f.typename
    return [
        "try:",
        f"    value = {_read(f.attr, i, names)}",
        "except Exception as raw_error:",
        f"    run.handle_field_error(raw_error, F{i}.completion, F{i}, path_to(path, K{i}, T{i}))",
        f"    results[K{i}] = None",
        "else:",
        *_indent(_attribute(f, i, names), 4),
    ]


def _attribute(f: FieldPlan, i: int, names: dict[str, Any]) -> list[str]:
    if f.shape is SHAPE_LEAF:
        fast = _leaf_fast_path(f, i, names)
        if fast is None:
            return _resolved(i)
        test, action = fast
        return [f"if {test}:", f"    {action}", "else:", *_indent(_resolved(i), 4)]
    if f.shape is SHAPE_OBJECT:
        names[f"OP{i}"] = f.object_plan
        return [
            f"if type(value) in OP{i}.known_types:",
            f"    result = run._object_field(F{i}, OP{i}, value, path)",
            f"    results[K{i}] = result",
            "    if type(result) is not dict and result is not None:",
            f"        awaitable_fields.append(K{i})",
            "else:",
            *_indent(_resolved(i), 4),
        ]
    if f.shape is SHAPE_OBJECT_LIST:
        return [
            "if type(value) is list:",
            f"    result = run._list_field(F{i}, value, path)",
            f"    results[K{i}] = result",
            "    if type(result) is not list and result is not None:",
            f"        awaitable_fields.append(K{i})",
            "else:",
            *_indent(_resolved(i), 4),
        ]
    return _resolved(i)


def _leaf_fast_path(f: FieldPlan, i: int, names: dict[str, Any]) -> tuple[str, str] | None:
    """(test, action) of a leaf's fast path, in complete_value's order: a value returned as it is, a
    Date/DateTime/Time by its isoformat; and an enum member by its name (what the enum type's
    coerce_output_value gives it). None: the leaf has none, complete_resolved does it all."""
    leaf = f.leaf
    assert leaf is not None
    if leaf.fast_types:
        if len(leaf.fast_types) == 1:
            (names[f"FT{i}"],) = leaf.fast_types
            test = f"type(value) is FT{i}"
        else:
            names[f"FT{i}"] = leaf.fast_types
            test = f"type(value) in FT{i}"
        if leaf.int32:
            test += " and INT_MIN <= value <= INT_MAX"
        return test, f"results[K{i}] = value"
    if leaf.convert_type is not None:
        names[f"CT{i}"] = leaf.convert_type
        names[f"CV{i}"] = leaf.convert
        return f"type(value) is CT{i}", f"results[K{i}] = CV{i}(value)"
    if leaf.enum_cls is not None:
        names[f"EC{i}"] = leaf.enum_cls
        names[f"EN{i}"] = leaf.enum_names
        return f"type(value) is EC{i}", f"results[K{i}] = EN{i}[value]"
    return None


__all__ = ["FieldsFunction", "compile_fields"]
