"""`foundry cost`: a monthly estimate per resource, read from the synthesized templates."""

import contextlib
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from foundry_templates import read_region, read_stacks

from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError, resolve_config
from foundry_tools.cli.synthesis import FromOption, default_out, synth_or_exit, synthesized_dir
from foundry_tools.cost.advice import advise
from foundry_tools.cost.diff import diff
from foundry_tools.cost.diff_report import render_diff_json, render_diff_markdown, render_diff_table
from foundry_tools.cost.estimate import Estimate, estimate
from foundry_tools.cost.prices import PriceTable, load_prices
from foundry_tools.cost.traffic import TrafficError, load_traffic


class CostFormat(StrEnum):
    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"


def render_json(result: Estimate, advice: list[str], prices: PriceTable, env: str, region: str | None) -> str:
    payload: dict[str, Any] = {
        "env": env,
        "region": region,
        "price_table": {"region": prices.region, "version": prices.version},
        "total_usd_month": round(result.total_usd_month, 2),
        "fixed_usd_month": round(result.total("fixed"), 2),
        "usage_usd_month": round(result.total("usage"), 2),
        "rows": [row.as_json() for row in result.rows],
        "unpriced": result.unpriced,
        "notes": result.notes,
        "advice": advice,
    }
    return json.dumps(payload, indent=2)


def render_table(
    result: Estimate, advice: list[str], prices: PriceTable, env: str, region: str | None
) -> str:
    lines = [f"{'resource':<52} {'item':<48} {'quantity':>10} {'unit $':>9} {'$/month':>9}"]
    for row in sorted(result.rows, key=lambda r: (r.kind, -r.usd_month)):
        lines.append(
            f"{row.resource[:52]:<52} {row.item[:48]:<48} {row.quantity:>10.2f} "
            f"{row.unit_price_usd:>9.4g} {row.usd_month:>9.2f}"
        )
    lines += [
        "",
        f"fixed  ${result.total('fixed'):>9.2f}/month",
        f"usage  ${result.total('usage'):>9.2f}/month",
        f"total  ${result.total_usd_month:>9.2f}/month  ({env}, list prices {prices.region} {prices.version}, no free tiers)",
    ]
    if region and region != prices.region:
        lines.append(
            f"note: the stacks are in {region}; the price table is {prices.region}, used as an approximation"
        )
    if result.unpriced:
        lines.append("not priced (add them to foundry_tools/cost): " + ", ".join(result.unpriced))
    lines += [f"note: {line}" for line in result.notes]
    lines += ["", "advice:", *(f"  - {line}" for line in advice)]
    return "\n".join(lines)


def render_markdown(
    result: Estimate, advice: list[str], prices: PriceTable, env: str, region: str | None
) -> str:
    lines = [
        f"### Monthly cost: {env} ${result.total_usd_month:.2f}/month",
        "",
        f"fixed ${result.total('fixed'):.2f}, usage ${result.total('usage'):.2f} "
        f"(list prices {prices.region} {prices.version}, no free tiers)",
        "",
        "| resource | item | kind | quantity | unit $ | $/month |",
        "|---|---|---|--:|--:|--:|",
    ]
    for row in sorted(result.rows, key=lambda r: (r.kind, -r.usd_month)):
        lines.append(
            f"| `{row.resource}` | {row.item.replace('|', '/')} | {row.kind} | {row.quantity:.2f} | "
            f"{row.unit_price_usd:.4g} | {row.usd_month:.2f} |"
        )
    if result.unpriced:
        lines += ["", "Not priced: " + ", ".join(result.unpriced)]
    lines += ["", *(f"Note: {line}" for line in result.notes)] if result.notes else []
    lines += ["", "Advice:", *(f"- {line}" for line in advice)]
    return "\n".join(lines) + "\n"


def _base_dir(*, env: str, base_dir: Path | None, base_config: Path | None) -> Path | None:
    """The base side of `--diff`: templates already synthesized, or `env` synthesized with another file."""
    if base_dir is not None and base_config is not None:
        raise UserError("--diff and --diff-config both name the base; pass one of them")
    if base_dir is not None:
        if not any(base_dir.glob("*.template.json")):
            raise UserError(
                f"--diff {base_dir}: no *.template.json there; synthesize the base with "
                f"`foundry synth --env {env} --out {base_dir}` (on the base commit)"
            )
        return base_dir
    if base_config is None:
        return None
    if not base_config.is_file():
        raise UserError(f"--diff-config {base_config}: no such file")
    config = resolve_config(env, base_config, None)
    out_dir = default_out(env).with_name(f"{env}.base")
    with contextlib.redirect_stdout(sys.stderr):
        synth_or_exit(config=config, out_dir=out_dir)
    return out_dir


DIFF_RENDERERS = {
    CostFormat.TABLE: render_diff_table,
    CostFormat.MARKDOWN: render_diff_markdown,
    CostFormat.JSON: render_diff_json,
}


def cost(
    env: EnvOption,
    scale: Annotated[
        float, typer.Option("--scale", help="Multiply the traffic profile (10 = ten times).")
    ] = 1.0,
    traffic_file: Annotated[
        Path | None, typer.Option("--traffic", help="TOML overriding the traffic profile's keys.")
    ] = None,
    output: Annotated[CostFormat, typer.Option("--format", help="Output format.")] = CostFormat.TABLE,
    config_file: ConfigFileOption = None,
    overrides: SetOption = None,
    from_dir: FromOption = None,
    base_dir: Annotated[
        Path | None,
        typer.Option(
            "--diff",
            help="Compare with the base: a folder synthesized from it (foundry synth --out DIR); "
            "prints the monthly difference per resource.",
        ),
    ] = None,
    base_config: Annotated[
        Path | None,
        typer.Option(
            "--diff-config",
            help="Compare with the same environment synthesized with this TOML file instead.",
        ),
    ] = None,
) -> None:
    """Estimate the environment's monthly cost per resource, with advice on the big trade-offs.

    With --diff DIR or --diff-config FILE: the monthly difference per resource from that base to this
    synth (added, removed, changed), with a total line."""
    try:
        traffic = load_traffic(env, traffic_file, scale)
    except TrafficError as error:
        raise UserError(str(error)) from None
    base = _base_dir(env=env, base_dir=base_dir, base_config=base_config)
    out_dir = synthesized_dir(env=env, config_file=config_file, overrides=overrides, from_dir=from_dir)
    templates = read_stacks(out_dir)
    prices = load_prices()
    result = estimate(templates, traffic, prices)
    if base is not None:
        base_result = estimate(read_stacks(base), traffic, prices)
        typer.echo(DIFF_RENDERERS[output](diff(base=base_result, head=result), prices, env))
        return
    # The configuration these templates came from (with --from: the profile's own) names the endpoints'
    # callers in the advice.
    advice = advise(templates, traffic, prices, resolve_config(env, config_file, overrides))
    render = {CostFormat.JSON: render_json, CostFormat.MARKDOWN: render_markdown}.get(output, render_table)
    typer.echo(render(result, advice, prices, env, read_region(out_dir)))


def register(app: typer.Typer) -> None:
    app.command("cost")(cost)
