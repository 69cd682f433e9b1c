"""Issue 18: `foundry cost`'s endpoint advice speaks of exactly the endpoints the table chooses
(foundry_infra.network.endpoints), on every scenario: it reads the same templates the choice built."""

import re

import pytest
from foundry_infra.config import load_config
from foundry_infra.network import endpoints
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import read_stacks
from foundry_tools.cost.advice import advise
from foundry_tools.cost.prices import load_prices
from foundry_tools.cost.traffic import load_traffic

ALL = {**SCENARIOS, **MATRIX}
ADVICE = re.compile(r"^endpoint (\S+) \(")


def advised(lines: list[str]) -> set[str]:
    return {m[1] for line in lines if (m := ADVICE.match(line))}


@pytest.mark.parametrize("scenario", ["dev", "prod", "dev-ecs", "minimal", "dev-lean"])
def test_advice_names_the_chosen_endpoints(synths: dict[str, Synth], scenario: str) -> None:
    env, overrides = ALL[scenario]
    config = load_config(env=env, overrides=overrides)
    lines = advise(read_stacks(synths[scenario].out_dir), load_traffic(env), load_prices())
    wanted = set(endpoints.chosen(config)) | (
        {endpoints.APPRUNNER_REQUESTS} if endpoints.needs_apprunner_requests(config) else set()
    )
    assert advised(lines) == wanted
    # Nothing advises on an endpoint the table leaves out for want of a caller.
    assert not any(line.startswith("endpoint sts ") for line in lines)


def test_the_agreement_check_fails_when_they_differ() -> None:
    """Shown to fail: advice naming an sts endpoint the table never chooses."""
    lines = ["endpoint sts (1 AZ, $7.30/month) beats NAT processing above 209 GB/month; ..."]
    assert advised(lines) != set(endpoints.chosen(load_config(env="prod")))
