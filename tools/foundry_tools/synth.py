"""Synthesize one environment to CloudFormation and gate it on cdk-nag (AwsSolutions, warnings too)."""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foundry_infra.config.model import EnvironmentConfig

if TYPE_CHECKING:
    from foundry_infra.app import FoundryApp

ACKNOWLEDGED_RULES_METADATA = "aws:cdk:acknowledged-rules"
NAG_PACK_PREFIX = "AwsSolutions-"


@dataclass(frozen=True, kw_only=True)
class Finding:
    rule: str
    severity: str
    construct_path: str
    description: str


@dataclass(frozen=True, kw_only=True)
class Acknowledged:
    rule: str
    construct_path: str
    reason: str


@dataclass(kw_only=True)
class SynthResult:
    out_dir: Path
    templates: dict[str, Path] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    acknowledged: list[Acknowledged] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def template(self, stack_name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.templates[stack_name].read_text())
        return loaded


def synthesize(
    *, config: EnvironmentConfig, out_dir: Path, extend: Callable[["FoundryApp"], None] | None = None
) -> SynthResult:
    """Build the app, check it with cdk-nag, and write templates plus `nag-report.json` to out_dir.

    Templates are written only when no finding is left unacknowledged, as `cdk synth` would refuse too.
    `extend` adds constructs before the checks run (tests use it to prove the gate closes).
    """
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from foundry_infra.app import FoundryApp

    out_dir.mkdir(parents=True, exist_ok=True)
    foundry = FoundryApp(config=config, outdir=str(out_dir))
    if extend is not None:
        extend(foundry)
    assert foundry.nag is not None
    report = foundry.nag.validate_scope(foundry.app)
    result = SynthResult(out_dir=out_dir)
    for violation in report.violations:
        for resource in violation.violating_resources:
            result.findings.append(
                Finding(
                    rule=violation.rule_name,
                    severity=str(violation.severity),
                    construct_path=resource.construct_path or "?",
                    description=violation.description,
                )
            )
    for construct in foundry.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == ACKNOWLEDGED_RULES_METADATA:
                for key, reason in dict(entry.data).items():
                    # Stored as "<source>::<rule id>", and granular rule ids contain "::" themselves.
                    _source, _, rule = key.partition("::")
                    if rule.startswith(NAG_PACK_PREFIX):
                        result.acknowledged.append(
                            Acknowledged(rule=rule, construct_path=construct.node.path, reason=str(reason))
                        )
    (out_dir / "nag-report.json").write_text(
        json.dumps(
            {
                "environment": config.name,
                "pack": "AwsSolutions",
                "unacknowledged": [vars(item) for item in result.findings],
                "acknowledged": [vars(item) for item in result.acknowledged],
            },
            indent=2,
        )
    )
    if result.ok:
        foundry.app.synth()
        for stack in foundry.deployed:
            result.templates[stack.stack_name] = out_dir / stack.template_file
    return result


def assembly_stacks(out_dir: Path) -> dict[str, str]:
    """Every stack of a synthesized cloud assembly and the region it deploys to, from its
    manifest.json (the stacks `cdk deploy --all` deploys), in the manifest's order."""
    manifest = json.loads((out_dir / "manifest.json").read_text())
    return {
        name: artifact["environment"].rsplit("/", 1)[1]  # aws://ACCOUNT/REGION
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
