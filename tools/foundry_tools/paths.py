"""Where the repository is: the checkout this package is installed from (editable, by `make setup`).

The CLI runs the pinned CDK CLI and docker from it, the twin keeps its data and serves the web build
below it, and the web app's operations are read from its source.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
