"""`foundry cost`: a monthly estimate per resource, read from the synthesized templates."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from foundry_templates import read_region, read_stacks

from foundry_tools.cli.options import ConfigFileOption, EnvOption, SetOption, UserError
from foundry_tools.cli.synthesis import FromOption, synthesized_dir
from foundry_tools.cost.advice import advise
from foundry_tools.cost.estimate import Estimate, estimate
from foundry_tools.cost.prices import PriceTable, load_prices
from foundry_tools.cost.traffic import TrafficError, load_traffic


class CostFormat(StrEnum):
    TABLE = "table"
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
    lines += ["", "advice:", *(f"  - {line}" for line in advice)]
    return "\n".join(lines)


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
) -> None:
    """Estimate the environment's monthly cost per resource, with advice on the big trade-offs."""
    try:
        traffic = load_traffic(env, traffic_file, scale)
    except TrafficError as error:
        raise UserError(str(error)) from None
    out_dir = synthesized_dir(env=env, config_file=config_file, overrides=overrides, from_dir=from_dir)
    templates = read_stacks(out_dir)
    prices = load_prices()
    result = estimate(templates, traffic, prices)
    advice = advise(templates, traffic, prices)
    render = render_json if output is CostFormat.JSON else render_table
    typer.echo(render(result, advice, prices, env, read_region(out_dir)))


def register(app: typer.Typer) -> None:
    app.command("cost")(cost)
