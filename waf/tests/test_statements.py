import json
from typing import Any

import pytest
from foundry_waf.errors import InvalidWebAclError, NotEmulatedError
from foundry_waf.fields import CLOUDFRONT_DEFAULT_BODY_LIMIT
from foundry_waf.request import WafRequest
from foundry_waf.statements import Context, compile_regex, matches

CONTEXT = Context(
    body_limit=CLOUDFRONT_DEFAULT_BODY_LIMIT, regex_pattern_sets={"Set": [r"^/adm[i]n", r"\.php$"]}
)
NONE = [{"Priority": 0, "Type": "NONE"}]


def _byte(field: dict[str, Any], search: str, position: str, steps: list[Any] = NONE) -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": field,
            "SearchString": search,
            "PositionalConstraint": position,
            "TextTransformations": steps,
        }
    }


def _request(**kwargs: Any) -> WafRequest:
    return WafRequest(
        method=kwargs.pop("method", "POST"), uri_path=kwargs.pop("uri_path", "/graphql"), **kwargs
    )


@pytest.mark.parametrize(
    ("position", "search", "value", "expected"),
    [
        ("EXACTLY", "/graphql", "/graphql", True),
        ("EXACTLY", "/graphql", "/graphql/", False),
        ("STARTS_WITH", "/graphql", "/graphql/x", True),
        ("STARTS_WITH", "/graphql", "/x/graphql", False),
        ("ENDS_WITH", "graphql", "/x/graphql", True),
        ("ENDS_WITH", "graphql", "/graphql.js", False),
        ("CONTAINS", "graphql", "/a/graphql/b", True),
        ("CONTAINS", "graphql", "/a/graph/ql", False),
        ("CONTAINS_WORD", "graphql", "/a/graphql/b", True),
        ("CONTAINS_WORD", "graphql", "graphql", True),
        ("CONTAINS_WORD", "graphql", "/mygraphql", False),
        ("CONTAINS_WORD", "graphql", "/graphql_x", False),
        ("CONTAINS_WORD", "graphql", "/graphqlx/graphql", True),  # the second occurrence is a word
    ],
)
def test_byte_match_positional_constraints(position: str, search: str, value: str, expected: bool) -> None:
    statement = _byte({"UriPath": {}}, search, position)
    assert matches(statement, _request(uri_path=value), CONTEXT) is expected


def test_byte_match_is_case_sensitive_until_transformed() -> None:
    lower = [{"Priority": 0, "Type": "LOWERCASE"}]
    assert not matches(_byte({"UriPath": {}}, "/graphql", "EXACTLY"), _request(uri_path="/GraphQL"), CONTEXT)
    assert matches(
        _byte({"UriPath": {}}, "/graphql", "EXACTLY", lower), _request(uri_path="/GraphQL"), CONTEXT
    )


def test_search_string_base64_and_bytes_from_get_web_acl() -> None:
    base64 = {"ByteMatchStatement": {**_byte({"Method": {}}, "", "EXACTLY")["ByteMatchStatement"]}}
    del base64["ByteMatchStatement"]["SearchString"]
    base64["ByteMatchStatement"]["SearchStringBase64"] = "UE9TVA=="  # POST
    assert matches(base64, _request(), CONTEXT)
    as_bytes = _byte({"Method": {}}, "", "EXACTLY")
    as_bytes["ByteMatchStatement"]["SearchString"] = b"GET"  # boto3 returns a blob
    assert not matches(as_bytes, _request(), CONTEXT)


def test_single_header_is_case_insensitive_and_missing_never_matches() -> None:
    statement = _byte({"SingleHeader": {"Name": "X-Api"}}, "k", "EXACTLY")
    assert matches(statement, _request(headers=[("x-api", "k")]), CONTEXT)
    assert not matches(statement, _request(headers=[("x-other", "k")]), CONTEXT)
    assert not matches(
        {"NotStatement": {"Statement": statement}}, _request(headers=[("x-api", "k")]), CONTEXT
    )


def test_query_string_and_single_query_argument() -> None:
    request = _request(query_string="a=1&Debug=on")
    assert matches(
        _byte({"QueryString": {}}, "debug=", "CONTAINS", [{"Priority": 0, "Type": "LOWERCASE"}]),
        request,
        CONTEXT,
    )
    assert matches(_byte({"SingleQueryArgument": {"Name": "debug"}}, "on", "EXACTLY"), request, CONTEXT)


def _body_regex(regex: str, **body: Any) -> dict[str, Any]:
    return {
        "RegexMatchStatement": {
            "FieldToMatch": {"Body": body},
            "RegexString": regex,
            "TextTransformations": NONE,
        }
    }


def test_body_is_inspected_up_to_the_limit_then_oversize_handling_decides() -> None:
    tail = b"x" * CLOUDFRONT_DEFAULT_BODY_LIMIT + b"NEEDLE"
    assert not matches(_body_regex("NEEDLE"), _request(body=tail), CONTEXT)  # CONTINUE (default)
    assert not matches(_body_regex("NEEDLE", OversizeHandling="CONTINUE"), _request(body=tail), CONTEXT)
    assert matches(_body_regex("absent", OversizeHandling="MATCH"), _request(body=tail), CONTEXT)
    assert not matches(_body_regex("x", OversizeHandling="NO_MATCH"), _request(body=tail), CONTEXT)
    # At exactly the limit the body is whole: nothing is oversize.
    whole = b"x" * (CLOUDFRONT_DEFAULT_BODY_LIMIT - 6) + b"NEEDLE"
    assert matches(_body_regex("NEEDLE", OversizeHandling="NO_MATCH"), _request(body=whole), CONTEXT)
    larger = Context(body_limit=64 * 1024)
    assert matches(_body_regex("NEEDLE"), _request(body=tail), larger)


def _json(
    regex: str, paths: list[str] | None, scope: str = "VALUE", fallback: str | None = "NO_MATCH", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "MatchPattern": {"IncludedPaths": paths} if paths is not None else {"All": {}},
        "MatchScope": scope,
        **extra,
    }
    if fallback:
        body["InvalidFallbackBehavior"] = fallback
    return {
        "RegexMatchStatement": {
            "FieldToMatch": {"JsonBody": body},
            "RegexString": regex,
            "TextTransformations": NONE,
        }
    }


def test_json_body_decodes_escapes_and_reads_only_included_paths() -> None:
    escaped = _request(body=b'{"query":"{ \\u005f\\u005fschema { types { name } } }"}')
    assert matches(_json("__schema", ["/query"]), escaped, CONTEXT)
    assert not matches(_body_regex("__schema"), escaped, CONTEXT)  # raw bytes never see it
    in_variables = _request(body=json.dumps({"query": "{ a }", "variables": {"p": "__schema"}}).encode())
    assert not matches(_json("__schema", ["/query"]), in_variables, CONTEXT)
    assert matches(_json("__schema", None), in_variables, CONTEXT)
    assert matches(_json("^p$", None, scope="KEY"), in_variables, CONTEXT)
    assert not matches(_json("^p$", None, scope="VALUE"), in_variables, CONTEXT)
    assert matches(_json("^p$|^nothing$", None, scope="ALL"), in_variables, CONTEXT)
    nested = _request(body=b'{"a":{"b/c":[1,{"d":true}]}}')
    assert matches(_json("^true$", ["/a/b~1c/1/d"]), nested, CONTEXT)
    assert matches(_json("^1$", ["/a"]), nested, CONTEXT)
    assert not matches(_json("^1$", ["/missing"]), nested, CONTEXT)


def test_json_body_invalid_fallbacks() -> None:
    broken = _request(body=b'{"query": "__schema"')
    assert matches(_json("__schema", ["/query"], fallback="EVALUATE_AS_STRING"), broken, CONTEXT)
    assert matches(_json("absent", ["/query"], fallback="MATCH"), broken, CONTEXT)
    assert not matches(_json("__schema", ["/query"], fallback="NO_MATCH"), broken, CONTEXT)
    with pytest.raises(NotEmulatedError, match="InvalidFallbackBehavior"):
        matches(_json("__schema", ["/query"], fallback=None), broken, CONTEXT)
    # Past the limit, CONTINUE cuts the JSON short: the fallback decides.
    long = _request(body=json.dumps({"query": "{ a }", "pad": "x" * CLOUDFRONT_DEFAULT_BODY_LIMIT}).encode())
    assert matches(_json("absent", ["/query"], fallback="MATCH", OversizeHandling="CONTINUE"), long, CONTEXT)
    assert not matches(_json("a", ["/query"], fallback="NO_MATCH"), long, CONTEXT)
    assert matches(_json("absent", ["/query"], OversizeHandling="MATCH"), long, CONTEXT)


def test_regex_pattern_set_and_size_constraint() -> None:
    reference = {
        "RegexPatternSetReferenceStatement": {
            "Arn": {"Fn::GetAtt": ["Set", "Arn"]},
            "FieldToMatch": {"UriPath": {}},
            "TextTransformations": NONE,
        }
    }
    assert matches(reference, _request(uri_path="/admin/x"), CONTEXT)
    assert matches(reference, _request(uri_path="/x/index.php"), CONTEXT)
    assert not matches(reference, _request(uri_path="/graphql"), CONTEXT)
    reference["RegexPatternSetReferenceStatement"]["Arn"] = (
        "arn:aws:wafv2:us-east-1:1:global/regexpatternset/other/1"
    )
    with pytest.raises(NotEmulatedError, match="RegexPatternSet"):
        matches(reference, _request(), CONTEXT)
    size = {
        "SizeConstraintStatement": {
            "FieldToMatch": {"Body": {}},
            "ComparisonOperator": "GT",
            "Size": 3,
            "TextTransformations": NONE,
        }
    }
    assert matches(size, _request(body=b"abcd"), CONTEXT)
    assert not matches(size, _request(body=b"abc"), CONTEXT)
    # WAF counts the bytes it inspects: with CONTINUE a huge body measures the limit.
    size["SizeConstraintStatement"].update(ComparisonOperator="LE", Size=CLOUDFRONT_DEFAULT_BODY_LIMIT)
    assert matches(size, _request(body=b"x" * 100_000), CONTEXT)


def test_and_or_not() -> None:
    get = _byte({"Method": {}}, "GET", "EXACTLY")
    graphql = _byte({"UriPath": {}}, "/graphql", "EXACTLY")
    request = _request(method="POST")
    assert matches(
        {"AndStatement": {"Statements": [{"NotStatement": {"Statement": get}}, graphql]}}, request, CONTEXT
    )
    assert not matches({"AndStatement": {"Statements": [get, graphql]}}, request, CONTEXT)
    assert matches({"OrStatement": {"Statements": [get, graphql]}}, request, CONTEXT)


@pytest.mark.parametrize("regex", [r"(a)", r"(?:a)\1", r"a\K", r"(?>a)", r"a*+", r"(?(1)a|b)"])
def test_regexes_aws_refuses_are_refused(regex: str) -> None:
    with pytest.raises(InvalidWebAclError, match="does not support"):
        compile_regex(regex)


def test_unknown_statement_is_reported_not_guessed() -> None:
    with pytest.raises(NotEmulatedError, match="GeoMatchStatement"):
        matches({"GeoMatchStatement": {"CountryCodes": ["FR"]}}, _request(), CONTEXT)
