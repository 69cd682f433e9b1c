"""scripts/ecr-digest, run for real against a stub `aws`: only ImageNotFoundException means "not pushed"."""

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "ecr-digest"


def _run(tmp_path: Path, *, stdout: str, code: int) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "aws"
    fake.write_text(f"#!/usr/bin/env bash\necho {stdout!r} >&{2 if code else 1}\nexit {code}\n")
    fake.chmod(0o755)
    return subprocess.run(
        [str(SCRIPT), "foundry/dev/api", "abc123"],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_pushed_tag_prints_its_digest(tmp_path: Path) -> None:
    result = _run(tmp_path, stdout="sha256:0123", code=0)
    assert (result.returncode, result.stdout) == (0, "sha256:0123\n")


def test_a_missing_tag_prints_nothing(tmp_path: Path) -> None:
    message = "An error occurred (ImageNotFoundException) when calling the DescribeImages operation"
    result = _run(tmp_path, stdout=message, code=254)
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize(
    "error", ["AccessDeniedException", "ThrottlingException", "RepositoryNotFoundException"]
)
def test_any_other_error_fails_rather_than_look_like_not_pushed(tmp_path: Path, error: str) -> None:
    result = _run(
        tmp_path, stdout=f"An error occurred ({error}) when calling the DescribeImages operation", code=254
    )
    assert result.returncode == 1 and error in result.stderr and result.stdout == ""
