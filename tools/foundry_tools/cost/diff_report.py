"""`foundry cost --diff` as a table, Markdown (the pull-request comment) or JSON."""

import json
from typing import Any

from foundry_tools.cost.diff import CostDiff
from foundry_tools.cost.prices import PriceTable

# The pull-request comment's first line: CI finds its own comment by it and edits it in place.
MARKER = "<!-- foundry-cost-diff:{env} -->"


def signed(usd: float) -> str:
    """+$32.85, -$3.65, $0.00 (never -$0.00)."""
    cents = round(usd, 2)
    if cents == 0:
        return "$0.00"
    return f"{'+' if cents > 0 else '-'}${abs(cents):,.2f}"


def _footer(result: CostDiff, prices: PriceTable, env: str) -> list[str]:
    lines = [
        f"list prices {prices.region} {prices.version}, no free tiers; {env}'s traffic profile for both sides",
    ]
    lines += [f"head: {note}" for note in result.head.notes if note not in result.base.notes]
    if result.unpriced_added:
        lines.append("not priced (add them to foundry_tools/cost): " + ", ".join(result.unpriced_added))
    return lines


def render_diff_table(result: CostDiff, prices: PriceTable, env: str) -> str:
    lines = [f"{'change':<8} {'resource':<52} {'type':<36} {'base $':>9} {'head $':>9} {'delta $':>10}"]
    for d in result.resources:
        lines.append(
            f"{d.change:<8} {d.resource[:52]:<52} {d.resource_type[:36]:<36} "
            f"{d.base_usd_month:>9.2f} {d.head_usd_month:>9.2f} {signed(d.delta_usd_month):>10}"
        )
    if not result.resources:
        lines.append("(no resource changes its monthly cost)")
    lines += [
        "",
        f"fixed  {signed(result.delta('fixed')):>10}/month",
        f"usage  {signed(result.delta('usage')):>10}/month",
        f"total  {signed(result.delta_usd_month):>10}/month  "
        f"(${result.base.total_usd_month:.2f} -> ${result.head.total_usd_month:.2f})",
        *_footer(result, prices, env),
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_diff_markdown(result: CostDiff, prices: PriceTable, env: str) -> str:
    lines = [
        MARKER.format(env=env),
        f"### Monthly cost: {env} {signed(result.delta_usd_month)}/month",
        "",
        f"${result.base.total_usd_month:.2f} → ${result.head.total_usd_month:.2f} a month "
        f"(fixed {signed(result.delta('fixed'))}, usage {signed(result.delta('usage'))}).",
        "",
    ]
    if result.resources:
        lines += [
            "| change | resource | type | base $/month | head $/month | delta $/month |",
            "|---|---|---|--:|--:|--:|",
        ]
        for d in result.resources:
            lines.append(
                f"| {d.change} | `{_cell(d.resource)}` | {_cell(d.resource_type)} | "
                f"{d.base_usd_month:.2f} | {d.head_usd_month:.2f} | {signed(d.delta_usd_month)} |"
            )
        lines.append(f"| | **total** | | {result.base.total_usd_month:.2f} | "
                     f"{result.head.total_usd_month:.2f} | **{signed(result.delta_usd_month)}** |")  # fmt: skip
    else:
        lines.append("No resource changes its monthly cost.")
    lines += ["", *(f"<sub>{line}</sub>" for line in _footer(result, prices, env))]
    return "\n".join(lines) + "\n"


def render_diff_json(result: CostDiff, prices: PriceTable, env: str) -> str:
    payload: dict[str, Any] = {
        "env": env,
        "price_table": {"region": prices.region, "version": prices.version},
        "base_usd_month": round(result.base.total_usd_month, 2),
        "head_usd_month": round(result.head.total_usd_month, 2),
        "delta_usd_month": round(result.delta_usd_month, 2),
        "fixed_delta_usd_month": round(result.delta("fixed"), 2),
        "usage_delta_usd_month": round(result.delta("usage"), 2),
        "resources": [d.as_json() for d in result.resources],
        "unpriced_added": result.unpriced_added,
    }
    return json.dumps(payload, indent=2)
