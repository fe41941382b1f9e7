"""The gradviz web apps, as importable modules so the ``gradviz`` command can serve them.

``tutorial``: the seed notebook as a guided walk-through; ``playground``: any example graph in
one explorer. Each module has ``create_app()``, which builds a fresh page for one session.
This package imports Panel: the core (``import gradviz``) never imports it.
"""
APPS = ("tutorial", "playground")


def factory(name: str):
    """The ``create_app`` function of the app called ``name``."""
    if name == "tutorial":
        from .tutorial import create_app
    elif name == "playground":
        from .playground import create_app
    else:
        raise KeyError(f"no app named {name!r}; choose one of {', '.join(APPS)}")
    return create_app
