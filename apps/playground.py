"""`panel serve apps/playground.py`: one explorer and a chooser of example graphs (see gradviz.apps.playground)."""
from gradviz.apps.playground import create_app

create_app().servable()
