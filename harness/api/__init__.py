"""The orchestration layer: the only place that combines stages (store, labels, scoring, diff, report)."""
