"""Synthesize several scenarios in one process, sharing the jsii start-up (about 5 s) between them.

    python -m foundry_tools.testing.synth_many '[["dev-ecs", "dev", ["services.api.compute=ecs"], "OUT_DIR"], ...]'

Each scenario goes through the same `synthesize` (cdk-nag gate included) that `foundry synth` runs; a
scenario with an unacknowledged finding prints it and makes the process exit 1 after the others.
"""

import json
import sys
import time
from pathlib import Path

from foundry_infra.config import load_config

from foundry_tools.synth import synthesize


def main(argv: list[str]) -> int:
    failed = 0
    for name, env, overrides, out_dir in json.loads(argv[1]):
        started = time.monotonic()
        result = synthesize(config=load_config(env=env, overrides=overrides), out_dir=Path(out_dir))
        for finding in result.findings:
            print(f"{name}: {finding.rule} {finding.construct_path}", file=sys.stderr)
        failed += not result.ok
        print(f"{name}: {'ok' if result.ok else 'FAILED'} in {time.monotonic() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
