"""Every service image's promises, read from its Dockerfile (no Docker engine runs here).

Pinned base images (an explicit x.y.z tag, never latest), a non-root user at run time, a health
check, and for the Python services an exec-form CMD so SIGTERM reaches the server as PID 1.
"""

import importlib.util
import json
import re
import shlex
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from foundry_contract import RDS_CA_BUNDLE_PATH

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = {name: REPO / "services" / name / "Dockerfile" for name in ("api", "ai", "web")}


def _load_image_requirements() -> Callable[[Path], tuple[list[str], list[Path]]]:
    # scripts/ is no package: load the module `make lock` runs, so the test reads the same walk.
    spec = importlib.util.spec_from_file_location(
        "image_requirements", REPO / "scripts" / "image_requirements.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    walk: Callable[[Path], tuple[list[str], list[Path]]] = module.image_requirements
    return walk


image_requirements = _load_image_requirements()


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


def foundry_packages(service: str) -> list[str]:
    """The repository's packages the service's image must carry: its own foundry-* dependencies,
    and theirs (pip installs them from source with --no-deps, so nothing pulls them in)."""
    _, folders = image_requirements(REPO / "services" / service)
    return [str(folder.relative_to(REPO)) for folder in folders]


def _wheel_packages(package: str) -> list[str]:
    wheel = tomllib.loads((REPO / package / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]
    return list(wheel["packages"])


def missing_packages(path: Path, *, packages: list[str]) -> list[str]:
    """Each package (a repository folder) that the Dockerfile does not copy in and pip-install."""
    parsed = instructions(path)
    copies = [
        (words[0].rstrip("/"), words[-1].rstrip("/"))
        for words in (shlex.split(rest) for keyword, rest in parsed if keyword == "COPY")
    ]
    # The paths a `pip install --no-deps` command names (not a later `rm -rf /src` of the same RUN).
    installed = [
        word.rstrip("/")
        for keyword, rest in parsed
        if keyword == "RUN"
        for command in rest.split("&&")
        if "pip install" in command and "--no-deps" in command
        for word in shlex.split(command)
        if word.startswith("/")
    ]

    def within(path: str, folder: str) -> bool:
        return path == folder or path.startswith(folder + "/")

    found = []
    for package in packages:
        targets = [target for source, target in copies if within(source, package)]
        needed = [f"{package}/pyproject.toml", *(f"{package}/{code}" for code in _wheel_packages(package))]
        if not targets:
            found.append(f"{package}: not copied into the image")
        elif not all(any(within(part, source) for source, _ in copies) for part in needed):
            found.append(f"{package}: its pyproject.toml or code is not copied")
        elif not any(within(target, where) for target in targets for where in installed):
            found.append(f"{package}: copied but not pip-installed (--no-deps)")
    return found


@pytest.mark.parametrize("service", ["api", "ai"])
def test_python_images_install_the_repositorys_packages_the_service_depends_on(service: str) -> None:
    packages = foundry_packages(service)
    assert {"contract", "services/runtime"} <= set(packages)
    assert missing_packages(DOCKERFILES[service], packages=[*packages, f"services/{service}"]) == []


def test_the_package_check_fails_an_image_without_the_runtime(tmp_path: Path) -> None:
    without = tmp_path / "Dockerfile"
    without.write_text(
        "FROM python:3.11.14-slim-bookworm\n"
        "COPY contract /src/contract\n"
        "COPY services/runtime/pyproject.toml /src/runtime/pyproject.toml\n"
        "COPY services/runtime/foundry_runtime /src/runtime/foundry_runtime\n"
        "COPY services/api/pyproject.toml /src/api/pyproject.toml\n"
        "RUN pip install --no-deps /src/contract /src/api && rm -rf /src\n"
    )
    assert missing_packages(
        without, packages=["contract", "services/runtime", "services/api", "services/ai"]
    ) == [
        "services/runtime: copied but not pip-installed (--no-deps)",
        "services/api: its pyproject.toml or code is not copied",
        "services/ai: not copied into the image",
    ]


@pytest.mark.parametrize("service", ["api", "ai"])
def test_python_images_install_only_their_own_requirements(service: str) -> None:
    parsed = instructions(DOCKERFILES[service])
    sources = [shlex.split(rest)[0] for keyword, rest in parsed if keyword == "COPY"]
    assert f"services/{service}/requirements.txt" in sources
    own = (f"services/{service}", *foundry_packages(service))
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
