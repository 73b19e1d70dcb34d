"""The orchestration layer: operations that combine stages (pairwise judging, compare, trend)."""
