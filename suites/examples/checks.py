"""A custom scorer kept beside the suite that uses it (protocol: harness/scoring/custom.py).

product-shots.yaml names it as a file next to the suite:

    - custom: {path: "checks.py:subject_share", params: {min_share: 0.05, max_share: 0.6}}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.record import Score
from harness.scoring import ScoreContext
from harness.scoring.imaging import delta_e


def subject_share(ctx: ScoreContext, params: dict[str, Any]) -> Score:
    """The product fills a sensible part of the frame: the share of pixels that differ (CIEDE2000 > 10)
    from the median border colour lies within [min_share, max_share] (defaults 0.05 and 0.6)."""
    lab = ctx.image.lab
    border = np.median(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]), axis=0)
    share = float((delta_e(lab, border) > 10).mean())
    low, high = float(params.get("min_share", 0.05)), float(params.get("max_share", 0.6))
    ok = low <= share <= high
    return ctx.score(share, ok, f"the subject fills {share:.0%} of the frame (want {low:.0%}..{high:.0%})")
