"""OME-Zarr as a first-class xarray format.

Importing the package registers the ``.omezarr`` accessor on DataArray and Dataset; the ``omezarr``
backend (``xr.open_dataset(path, engine="omezarr")``) is registered through an entry point. Heavy
libraries (dask, scipy, scikit-image, pint) load only when a function needs them.
"""

from __future__ import annotations

from . import accessor as _accessor  # noqa: F401  (registers .omezarr)
from .api import pyramid, to_zarr, to_zarr_label, tree_to_zarr, write_plate
from .config import get_options, set_options
from .coordinate_systems import transform_points
from .incremental import tile_grid, update_pyramid
from .ngff import CurrentFormat, FormatV04, FormatV05, FormatV06, format_from_version
from .scale import Methods
from .version import __version__

__all__ = [
    "CurrentFormat",
    "FormatV04",
    "FormatV05",
    "FormatV06",
    "Methods",
    "__version__",
    "format_from_version",
    "get_options",
    "pyramid",
    "set_options",
    "tile_grid",
    "to_zarr",
    "to_zarr_label",
    "transform_points",
    "tree_to_zarr",
    "update_pyramid",
    "write_plate",
]
