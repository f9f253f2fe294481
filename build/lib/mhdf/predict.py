"""`python -m mhdf.predict`: the command line of `mhdf.app.cli` (also installed as `mhdf-predict`)."""

from mhdf.app.cli import run

run()
