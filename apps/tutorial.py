"""`panel serve apps/tutorial.py`: the seed notebook as a guided walk-through (see gradviz.apps.tutorial)."""
from gradviz.apps.tutorial import create_app

create_app().servable()
