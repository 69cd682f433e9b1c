"""`foundry trace`'s reading side: spans from the twin's trace backend (phoenix.py), one request as a
waterfall (waterfall.py)."""
