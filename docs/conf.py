"""Sphinx configuration of the documentation site: ``nox -s docs``, or from the repository root

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Pages are MyST Markdown; the notebooks in ``notebooks/`` are MyST-NB text notebooks, executed at every
build (outputs are never stored), so a notebook that stops working fails the build.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from xarray_omezarr.version import __version__

project = "xarray-omezarr"
author = "xarray-omezarr developers"
copyright = "xarray-omezarr developers"
version = release = __version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

# The root holds Markdown pages, the notebooks and a script that draws a figure; only pages are sources.
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "**/*.ome.zarr"]

# --- MyST and the notebooks -------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "force"  # execute every notebook at every build; nothing is cached or committed
nb_execution_raise_on_error = True  # an error in a cell fails the build
nb_execution_timeout = 120  # seconds per cell
nb_execution_show_tb = True  # a failing cell shows its traceback in the build log
nb_merge_streams = True
# No page loads scripts from a CDN: the notebooks display no widgets (the dask page's write creates one,
# distributed's progress bar, which is never displayed), so the widget manager is not needed.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}

# --- API reference ------------------------------------------------------------------------------------
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
python_maximum_signature_line_length = 90
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# --- HTML ---------------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"xarray-omezarr {version}"
html_static_path: list[str] = []


def _dataclass_factories(
    app: Any, what: str, name: str, obj: Any, options: Any, signature: str | None, annotation: str | None
) -> tuple[str | None, str | None]:
    """Show a dataclass field's ``default_factory`` as a call (``dict()``) instead of ``<factory>``.

    ``<factory>`` is not Python, so Sphinx could not parse such a signature and printed it raw.
    """
    if what == "class" and signature and dataclasses.is_dataclass(obj):
        for field in dataclasses.fields(obj):
            if field.default_factory is not dataclasses.MISSING:
                call = f"{getattr(field.default_factory, '__name__', 'factory')}()"
                signature = signature.replace("<factory>", call, 1)
    return signature, annotation


def setup(app: Any) -> None:
    app.connect("autodoc-process-signature", _dataclass_factories)
