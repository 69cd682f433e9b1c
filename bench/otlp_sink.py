"""The collector's place in the tracing-cost runs: an OTLP/HTTP receiver that decodes what it is sent
and counts it, as its own process on the load CPU.

In AWS the services hand their spans to a collector that is not on their CPU (App Runner's managed
X-Ray path; on ECS the ADOT sidecar, sized apart in the task), which forwards them to X-Ray. The twin's
own backend (Phoenix) stores and indexes every span for its UI, at some 200 ms of CPU per second while
spans arrive at all (bench/README.md), a dev tool's cost the platform does not pay. So the runs send
the spans here instead, through the twin's FOUNDRY_TRACES_ENDPOINT.

    python bench/otlp_sink.py    # prints its endpoint, serves until SIGTERM, then prints the count
"""

from __future__ import annotations

import signal
import sys
import threading

from foundry_twin.otlp_receiver import OtlpReceiver


def main() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with OtlpReceiver(protocol="http/protobuf") as receiver:
        print(receiver.endpoint, flush=True)
        stop.wait()
        print(f"received {len(receiver.spans)} spans", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
