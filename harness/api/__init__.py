"""The orchestration layer: the only place that combines stages (run, resume, merge, ...)."""
