"""The twin and the WAF evaluator stand in for an environment without its CDK app: importing every one of
their modules loads neither aws-cdk-lib (nor its constructs and jsii) nor the infra and tools packages,
so the services' tests can run on the twin in a venv without them."""

import subprocess
import sys
from pathlib import Path

import pytest

FORBIDDEN = ("aws_cdk", "constructs", "jsii", "foundry_infra", "foundry_tools")
# The probe is shown to fail in the development venv, where infra and tools exist: these tests run in
# .venv-services (make test), which cannot import them at all.
DEVELOPMENT_PYTHON = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python"
# Imports every module (but __main__) of the packages (or modules) named in argv, then prints the
# top-level names of what got loaded that FORBIDDEN holds, one a line.
PROBE = """
import importlib, pkgutil, sys
for package in sys.argv[2:]:
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(getattr(root, "__path__", []), package + "."):
        if not module.name.endswith(".__main__"):  # a command line: importing it runs it
            importlib.import_module(module.name)
forbidden = tuple(sys.argv[1].split(","))
print("\\n".join(sorted({name.split(".")[0] for name in sys.modules if name.split(".")[0] in forbidden})))
"""


def _loaded(*packages: str, python: Path = Path(sys.executable)) -> list[str]:
    done = subprocess.run(
        [str(python), "-c", PROBE, ",".join(FORBIDDEN), *packages],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.split()


def test_no_twin_or_waf_module_loads_cdk_infra_or_tools() -> None:
    assert _loaded("foundry_twin", "foundry_waf") == []


@pytest.mark.parametrize(
    ("module", "loads"),
    [
        ("foundry_tools.cli.twin_cmd", ["foundry_infra", "foundry_tools"]),
        ("foundry_infra.config.profiles", ["foundry_infra"]),
    ],
)
def test_the_probe_sees_a_forbidden_import(module: str, loads: list[str]) -> None:
    # The checker shown to fail: the CLI's twin commands and the infra's profiles are what the twin
    # imported before it became a package of its own.
    assert _loaded(module, python=DEVELOPMENT_PYTHON) == loads
