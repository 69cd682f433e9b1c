"""The import direction docs/architecture.md states, checked against the imports the code really makes.

The table under "## Packages" in docs/architecture.md is the one statement of which package may import
which. This test reads that table and every import of every package, the module-level ones and those
hidden inside functions, and fails on an import the table does not allow, on a package missing from the
table, on a cycle in the table, and on a package that outgrows its share of the code.
"""

import ast
import graphlib
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "architecture.md"
# No package may hold more than this share of the repository's Python code (issue 15).
LARGEST_SHARE = 0.30
# The CDK's modules count as one dependency, `aws_cdk`, in the table.
CDK_MODULES = {"aws_cdk", "constructs", "cdk_nag", "jsii"}


@dataclass(frozen=True, kw_only=True)
class Package:
    module: str  # the import name: foundry_<name>
    folder: Path  # the folder that holds its pyproject.toml, its code and its tests/
    may_import: frozenset[str]  # what its code may import besides itself
    tests_may_import: frozenset[str]  # what its tests may import besides that

    @property
    def code(self) -> Path:
        return self.folder / self.module

    @property
    def tests(self) -> Path:
        return self.folder / "tests"


@dataclass(frozen=True, kw_only=True)
class Violation:
    path: Path
    line: int
    imported: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.imported}"


def _names(cell: str) -> frozenset[str]:
    return frozenset(re.findall(r"`(\w+)`", cell))


def packages_in(doc: str, *, root: Path) -> dict[str, Package]:
    """The rows of the packages table: | `module` | `folder/` | what | may import | tests also |"""
    section = doc.split("## Packages", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(
        r"^\| `(foundry_\w+)` \| `([\w/]+)/` \|[^|]*\|([^|]*)\|([^|]*)\|$", section, re.MULTILINE
    )
    return {
        module: Package(
            module=module,
            folder=root / folder,
            may_import=_names(allowed),
            tests_may_import=_names(tests_allowed),
        )
        for module, folder, allowed, tests_allowed in rows
    }


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level name) of every absolute import of a foundry_* package or of the CDK in one file."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in CDK_MODULES:
                yield node.lineno, "aws_cdk"
            elif top.startswith("foundry_"):
                yield node.lineno, top


def violations(packages: dict[str, Package], *, root: Path) -> list[Violation]:
    found = []
    for package in packages.values():
        for folder, allowed in [
            (package.code, package.may_import),
            (package.tests, package.may_import | package.tests_may_import),
        ]:
            for path in sorted(folder.rglob("*.py")):
                found += [
                    Violation(path=path.relative_to(root), line=line, imported=imported)
                    for line, imported in imports_of(path)
                    if imported != package.module and imported not in allowed
                ]
    return found


def package_folders(root: Path) -> set[Path]:
    return {p.parent for p in [*root.glob("*/pyproject.toml"), *root.glob("services/*/pyproject.toml")]}


def code_lines(package: Package) -> int:
    return sum(len(path.read_text().splitlines()) for path in package.code.rglob("*.py"))


def dependency_order(packages: dict[str, Package]) -> list[str]:
    """The packages, each after everything it may import; graphlib.CycleError on a cycle."""
    graph = {p.module: {m for m in p.may_import if m in packages} for p in packages.values()}
    return list(graphlib.TopologicalSorter(graph).static_order())


@pytest.fixture(scope="module")
def packages() -> dict[str, Package]:
    return packages_in(DOC.read_text(), root=REPO)


def test_every_package_is_in_the_table(packages: dict[str, Package]) -> None:
    assert {p.folder for p in packages.values()} == package_folders(REPO)
    assert all(p.code.is_dir() for p in packages.values())


def test_every_import_goes_the_way_the_table_allows(packages: dict[str, Package]) -> None:
    found = [str(v) for v in violations(packages, root=REPO)]
    assert not found, "imports docs/architecture.md does not allow:\n" + "\n".join(found)


def test_the_table_has_no_cycle(packages: dict[str, Package]) -> None:
    order = dependency_order(packages)
    assert order.index("foundry_contract") < order.index("foundry_api") < order.index("foundry_twin")
    assert order.index("foundry_infra") < order.index("foundry_tools")


def test_no_package_holds_more_than_its_share(packages: dict[str, Package]) -> None:
    lines = {name: code_lines(package) for name, package in packages.items()}
    total = sum(lines.values())
    shares = {name: round(count / total, 3) for name, count in lines.items()}
    print("\nshares of the Python code:", shares, "of", total, "lines")
    assert max(shares.values()) <= LARGEST_SHARE, shares


# The checker can fail: a tree whose imports break its own table.
BROKEN_DOC = """
## Packages
| package | folder | what | may import | its tests also |
|---|---|---|---|---|
| `foundry_low` | `low/` | the bottom | — | — |
| `foundry_high` | `high/` | the top | `foundry_low` | — |
"""


def test_a_forbidden_import_is_reported_even_inside_a_function(tmp_path: Path) -> None:
    (tmp_path / "low" / "foundry_low").mkdir(parents=True)
    (tmp_path / "high" / "foundry_high").mkdir(parents=True)
    (tmp_path / "low" / "tests").mkdir()
    (tmp_path / "high" / "foundry_high" / "ok.py").write_text("from foundry_low import x\n")
    (tmp_path / "low" / "foundry_low" / "up.py").write_text("def f():\n    from foundry_high.ok import x\n")
    (tmp_path / "low" / "tests" / "test_cdk.py").write_text("import aws_cdk.aws_s3\n")
    packages = packages_in(BROKEN_DOC, root=tmp_path)
    assert [str(v) for v in violations(packages, root=tmp_path)] == [
        "low/foundry_low/up.py:2 imports foundry_high",
        "low/tests/test_cdk.py:1 imports aws_cdk",
    ]


def test_a_cycle_in_the_table_is_reported(tmp_path: Path) -> None:
    cyclic = BROKEN_DOC.replace("| the bottom | — |", "| the bottom | `foundry_high` |")
    with pytest.raises(graphlib.CycleError):
        dependency_order(packages_in(cyclic, root=tmp_path))


# -- the CDK-free packages' tests run where the CDK cannot be imported

SERVICES_VENV_PYTHON = REPO / ".venv-services" / "bin" / "python"
CDK_AND_ABOVE = ("aws_cdk", "constructs", "jsii", "cdk_nag", "foundry_infra", "foundry_tools")
PROBE = f"import importlib.util as u; print(sorted(m for m in {CDK_AND_ABOVE!r} if u.find_spec(m)))"


def needs_no_cdk(package: Package, packages: dict[str, Package]) -> bool:
    """Whether neither the package nor anything it may import, directly or not, is the CDK."""
    seen, todo = set(), [package.module]
    while todo:
        current = packages[todo.pop()]
        if "aws_cdk" in current.may_import | current.tests_may_import or current.module == "foundry_infra":
            return False
        seen.add(current.module)
        todo += [m for m in current.may_import | current.tests_may_import if m in packages and m not in seen]
    return True


def importable_in(python: Path) -> list[str]:
    probe = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    found: list[str] = ast.literal_eval(probe.stdout.strip())
    return found


def test_make_test_runs_every_cdk_free_package_in_the_venv_without_the_cdk(
    packages: dict[str, Package],
) -> None:
    makefile = (REPO / "Makefile").read_text()
    (listed,) = re.findall(r"^CDK_FREE_TESTS := (.+)$", makefile, re.MULTILINE)
    cdk_free = {str(p.tests.relative_to(REPO)) for p in packages.values() if needs_no_cdk(p, packages)}
    assert set(listed.split()) == cdk_free
    assert {"services/api/tests", "services/ai/tests"} <= cdk_free
    assert "$(VENV_SERVICES)/bin/pytest $(PYTEST_XDIST) $(CDK_FREE_TESTS)" in makefile


def test_the_services_venv_cannot_import_the_cdk() -> None:
    assert SERVICES_VENV_PYTHON.exists(), "make setup creates .venv-services"
    assert importable_in(SERVICES_VENV_PYTHON) == []
    # The probe can fail: in this venv (the development one) it finds all of them.
    assert importable_in(Path(sys.executable)) == sorted(CDK_AND_ABOVE)
