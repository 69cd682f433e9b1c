"""`foundry cost`'s endpoint advice agrees with infra's endpoints-by-need table, the one place the
choice is made (foundry_infra.network.endpoints)."""

from foundry_infra.config import load_config
from foundry_infra.network import endpoints as by_need
from foundry_templates import SynthesizedEnvironment as Synth
from foundry_templates import read_stacks
from foundry_templates.endpoints import endpoint_service
from foundry_tools.cost.advice import advise
from foundry_tools.cost.prices import load_prices
from foundry_tools.cost.traffic import DEFAULTS


def test_each_endpoint_line_gives_the_tables_reason(each_env: Synth) -> None:
    env = each_env.out_dir.name
    config = load_config(env=env)
    templates = read_stacks(each_env.out_dir)
    advice = advise(templates, DEFAULTS[env], load_prices(), config)
    created = {
        endpoint_service(r["Properties"]["ServiceName"])
        for t in templates.values()
        for r in t.resources.values()
        if r["Type"] == "AWS::EC2::VPCEndpoint" and r["Properties"].get("VpcEndpointType") == "Interface"
    }
    assert created == {*by_need.chosen(config), by_need.APPRUNNER_REQUESTS}, "the templates follow the table"
    for service in sorted(created - {by_need.APPRUNNER_REQUESTS}):
        (line,) = [a for a in advice if a.startswith(f"endpoint {service} (")]
        assert "Why it exists: " + by_need.reason(config, service).removeprefix(f"{service}: ") in line
    for service in by_need.SPEC_ENDPOINTS:
        if service not in created:
            (line,) = [a for a in advice if a.startswith(f"endpoint {service} not created (DEVIATION")]
            assert by_need.reason(config, service).removeprefix(f"{service}: ") in line
    without = advise(templates, DEFAULTS[env], load_prices())
    assert not [a for a in without if "DEVIATION" in a or "Why it exists" in a], "no config, no callers"


def test_nat_advice_prices_gateway_against_instance(dev: Synth) -> None:
    advice = advise(read_stacks(dev.out_dir), DEFAULTS["dev"], load_prices(), load_config(env="dev"))
    (line,) = [a for a in advice if a.startswith("NAT (")]
    # 730 h x $0.045 + its address 3.65 + 5 GB x 0.045; t4g.nano 3.07 + 8 GB gp3 0.64 + its address 3.65
    assert "$36.73/month each at 5 GB" in line and "t4g.nano NAT instance $7.36" in line
