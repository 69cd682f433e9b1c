"""Every service image's promises, read from its Dockerfile (no Docker engine runs here).

Pinned base images (an explicit x.y.z tag, never latest), a non-root user at run time, a health
check, and for the Python services an exec-form CMD so SIGTERM reaches the server as PID 1.
"""

import json
import re
import shlex
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from foundry_contract import RDS_CA_BUNDLE_PATH

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = {name: REPO / "services" / name / "Dockerfile" for name in ("api", "ai", "web")}


def instructions(path: Path) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    parsed = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            parsed.append((keyword.upper(), rest.strip()))
    return parsed


def problems(path: Path) -> list[str]:
    found = []
    parsed = instructions(path)
    images = [shlex.split(rest)[0] for keyword, rest in parsed if keyword == "FROM"]
    if not images:
        found.append("no FROM")
    for image in images:
        _, _, tag = image.partition(":")
        if not re.match(r"^\d+\.\d+\.\d+", tag):
            found.append(f"{image}: pin an explicit x.y.z version")
    users = [rest.split(":")[0] for keyword, rest in parsed if keyword == "USER"]
    if not users or users[-1] in ("root", "0"):
        found.append("the final stage must run as a non-root USER")
    if not any(keyword == "HEALTHCHECK" and "CMD" in rest for keyword, rest in parsed):
        found.append("no HEALTHCHECK")
    return found


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_image_is_pinned_non_root_and_health_checked(service: str) -> None:
    assert problems(DOCKERFILES[service]) == []


@pytest.mark.parametrize("service", ["api", "ai"])
def test_python_services_run_their_console_script_in_exec_form(service: str) -> None:
    (cmd,) = [rest for keyword, rest in instructions(DOCKERFILES[service]) if keyword == "CMD"]
    assert json.loads(cmd)[0] == f"foundry-{service}", "exec form: the server is PID 1 and gets SIGTERM"


@pytest.mark.parametrize("service", ["api", "ai"])
def test_python_images_install_only_their_own_requirements(service: str) -> None:
    parsed = instructions(DOCKERFILES[service])
    sources = [shlex.split(rest)[0] for keyword, rest in parsed if keyword == "COPY"]
    assert f"services/{service}/requirements.txt" in sources
    own = (f"services/{service}", "contract")
    assert all(source.rstrip("/").startswith(own) for source in sources), sources
    assert all((REPO / source).exists() for source in sources), "the build context is the repository root"
    assert "--no-deps" in " ".join(rest for keyword, rest in parsed if keyword == "RUN")
    requirements = (REPO / "services" / service / "requirements.txt").read_text().lower()
    assert "aws-cdk" not in requirements


def test_the_check_fails_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN pip install app\nCMD app\n")
    assert problems(careless) == [
        "python:latest: pin an explicit x.y.z version",
        "the final stage must run as a non-root USER",
        "no HEALTHCHECK",
    ]


BUNDLE = REPO / "services" / "api" / "certs" / "rds-ca-bundle.pem"


def test_the_api_image_carries_the_rds_ca_bundle_where_the_platform_points() -> None:
    """The migration runner runs the api image too, so one COPY serves both database clients."""
    copies = [rest.split() for keyword, rest in instructions(DOCKERFILES["api"]) if keyword == "COPY"]
    assert [str(BUNDLE.relative_to(REPO)), RDS_CA_BUNDLE_PATH] in copies


# One of AWS's older regional roots has a non-positive serial number, which cryptography warns about.
@pytest.mark.filterwarnings("ignore:Parsed a serial number")
def test_the_rds_ca_bundle_holds_the_roots_of_rds_and_rds_proxy() -> None:
    certificates = x509.load_pem_x509_certificates(BUNDLE.read_bytes())
    assert all(c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca for c in certificates)
    names = {c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value: c for c in certificates}
    # RDS instances in our regions sign with the 2021 roots (rds-ca-rsa2048-g1 is RDS's default CA).
    for region in ("us-east-1", "eu-west-1"):
        assert f"Amazon RDS {region} Root CA RSA2048 G1" in names
    # RDS Proxy presents an ACM certificate, which chains to Amazon Trust Services' roots.
    assert {"Amazon Root CA 1", "Amazon Root CA 2", "Amazon Root CA 3", "Amazon Root CA 4"} <= set(names)
    assert len(certificates) == len(names), "no certificate twice"
