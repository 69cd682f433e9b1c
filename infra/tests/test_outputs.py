"""foundry_infra.outputs: the output names stay readable without aws-cdk-lib (the tools that read them
after a deploy, `foundry migrate` among them, must not start jsii), while outputs.platform writes them."""

import subprocess
import sys

import pytest

LOADS_CDK = "import sys, {module}; print('aws_cdk' in sys.modules)"


def _loads_cdk(module: str) -> bool:
    result = subprocess.run(
        [sys.executable, "-c", LOADS_CDK.format(module=module)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "PATH": "/usr/bin:/bin"},
    )
    return result.stdout.strip() == "True"


def test_the_output_names_import_without_the_cdk() -> None:
    assert not _loads_cdk("foundry_infra.outputs")


@pytest.mark.slow
def test_the_check_sees_a_module_that_loads_the_cdk() -> None:
    # The same probe on the writer, which does load it: the test above can fail.
    assert _loads_cdk("foundry_infra.outputs.platform")
