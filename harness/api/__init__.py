"""The orchestration layer: the only place that combines stages (run, batch, resume, ...)."""
