"""`python -m foundry_twin.s3`: the emulator from a shell (see foundry_twin.s3.server.main)."""

from foundry_twin.s3.server import main

raise SystemExit(main())
