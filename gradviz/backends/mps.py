"""Apple's Metal backend: never built into gradviz."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
