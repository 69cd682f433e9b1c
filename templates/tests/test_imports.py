"""foundry_templates reads JSON: importing any of its modules loads no CDK, no infra and no tools."""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import foundry_templates

FORBIDDEN = ("aws_cdk", "jsii", "constructs", "foundry_infra", "foundry_tools")
# The probe is shown to fail in the development venv, where infra and tools exist: these tests run in
# .venv-services (make test), which cannot import them at all.
DEVELOPMENT_PYTHON = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python"

# Runs in a fresh interpreter, so what this test process already imported cannot hide a dependency.
_PROBE = """
import importlib, json, sys
for name in sys.argv[2:]:
    importlib.import_module(name)
forbidden = tuple(json.loads(sys.argv[1]))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in forbidden)))
"""


def _loaded_forbidden(modules: list[str], *, python: Path = Path(sys.executable)) -> list[str]:
    completed = subprocess.run(
        [str(python), "-c", _PROBE, json.dumps(FORBIDDEN), *modules],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found: list[str] = json.loads(completed.stdout)
    return found


def _package_modules() -> list[str]:
    return [
        "foundry_templates",
        *(f"foundry_templates.{m.name}" for m in pkgutil.iter_modules(foundry_templates.__path__)),
    ]


def test_no_module_of_the_package_imports_cdk_infra_or_tools() -> None:
    modules = _package_modules()
    assert {"foundry_templates.environment", "foundry_templates.model", "foundry_templates.workloads"} <= set(
        modules
    )
    assert _loaded_forbidden(modules) == []


def test_the_probe_sees_a_module_that_imports_infra() -> None:
    # verify's offline binding imports foundry_infra.outputs: the probe must report it.
    found = _loaded_forbidden(["foundry_tools.verify.offline"], python=DEVELOPMENT_PYTHON)
    assert "foundry_infra" in found and "foundry_tools" in found
