"""A scorer whose module raises when imported: reading it cannot tell, so a run imports it before it sends."""

SETTINGS = {"threshold": 0.5}
LIMIT = SETTINGS["limit"]


def check(ctx, params):
    return LIMIT > SETTINGS["threshold"]
