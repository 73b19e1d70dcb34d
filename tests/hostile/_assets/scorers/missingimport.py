"""A scorer that imports a module nobody installed: validation names the import without importing it."""

import json

import no_such_pkg_zz_scorer


def check(ctx, params):
    return json.dumps(no_such_pkg_zz_scorer.score(ctx)) != ""
