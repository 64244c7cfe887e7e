"""``python -m xarray_omezarr``: the command line (see :mod:`xarray_omezarr.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
