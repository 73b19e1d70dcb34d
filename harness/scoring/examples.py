"""An example custom scorer (protocol in harness/scoring/custom.py). Use it in a suite as

- custom: {path: "harness.scoring.examples:centered_subject", params: {max_offset: 0.15}}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.scoring.context import ScoreContext


def centered_subject(ctx: ScoreContext, params: dict[str, Any]) -> bool:
    """The subject (pixels unlike the border colour) is centred: its centre of mass lies within
    `max_offset` (share of the image size, default 0.15) of the image centre."""
    lab = ctx.image.lab
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]).mean(axis=0)
    subject = np.linalg.norm(lab - border, axis=2) > 15
    if not subject.any():
        return False
    ys, xs = np.nonzero(subject)
    h, w = subject.shape
    offset = max(abs(xs.mean() / w - 0.5), abs(ys.mean() / h - 0.5))
    return bool(offset <= float(params.get("max_offset", 0.15)))
