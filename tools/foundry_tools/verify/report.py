"""`foundry verify` output: a table for people, JSON for scripts, JUnit XML for CI."""

import json
from xml.etree import ElementTree as ET

from foundry_tools.verify.checks import summary
from foundry_tools.verify.results import CheckResult, Status


def table(results: list[CheckResult], *, environment: str) -> str:
    lines = [f"foundry verify: {environment}"]
    for result in results:
        headline = next((e for e in result.evidence if not e.startswith(("FAIL", "DEVIATION"))), "")
        lines.append(f"  {result.status.value:<9} {result.name:<26} {result.spec:<11} {result.title}")
        details = [e for e in result.evidence if e.startswith(("FAIL", "DEVIATION"))] or (
            [headline] if headline else []
        )
        lines += [f"            - {detail}" for detail in details]
    counts = summary(results)
    lines.append(", ".join(f"{count} {status}" for status, count in counts.items()))
    return "\n".join(lines)


def as_json(results: list[CheckResult], *, environment: str) -> str:
    return json.dumps(
        {
            "environment": environment,
            "summary": summary(results),
            "checks": [
                {
                    "name": r.name,
                    "spec": r.spec,
                    "title": r.title,
                    "status": r.status.value,
                    "evidence": r.evidence,
                }
                for r in results
            ],
        },
        indent=2,
    )


def junit(results: list[CheckResult], *, environment: str) -> str:
    """FAIL is a failure; DEVIATION is reported as skipped, with its reason, so CI shows it."""
    counts = summary(results)
    suite = ET.Element(
        "testsuite",
        name=f"foundry-verify-{environment}",
        tests=str(len(results)),
        failures=str(counts[Status.FAIL.value]),
        skipped=str(counts[Status.DEVIATION.value]),
    )
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=f"verify.{environment}", name=result.name)
        text = "\n".join(result.evidence)
        if result.status is Status.FAIL:
            ET.SubElement(case, "failure", message=result.title).text = text
        elif result.status is Status.DEVIATION:
            ET.SubElement(case, "skipped", message=f"deviation: {result.title}").text = text
        else:
            ET.SubElement(case, "system-out").text = text
    return ET.tostring(suite, encoding="unicode")
