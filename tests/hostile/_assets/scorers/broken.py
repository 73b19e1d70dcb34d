def check(ctx, params):
    return True

def broken(:
    pass
