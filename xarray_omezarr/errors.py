"""The exceptions this package raises, each keeping the built-in type code already catches.

Two families: bad input to a writer (raised before anything is written) and a malformed store met
by a reader. Each class also derives from the built-in exception that was raised before it existed,
so ``except ValueError`` or ``except FileExistsError`` keeps working.

Examples
--------
>>> issubclass(InvalidImageError, ValueError), issubclass(TargetExistsError, FileExistsError)
(True, True)
>>> try:
...     raise MalformedStoreError("zarr.json: 'multiscales' is missing")
... except ValueError as error:
...     print(error)
zarr.json: 'multiscales' is missing
"""

from __future__ import annotations

__all__ = [
    "CannotResumeError",
    "InvalidImageError",
    "InvalidImageTypeError",
    "MalformedStoreError",
    "NoImageError",
    "OmeZarrError",
    "TargetExistsError",
    "TransformationError",
    "UnsupportedTransformError",
]


class OmeZarrError(Exception):
    """Base of every exception raised by xarray-omezarr."""


class InvalidImageError(OmeZarrError, ValueError):
    """Bad input to a writer: what was wrong and how to fix it. Nothing was written."""


class InvalidImageTypeError(OmeZarrError, TypeError):
    """Input of the wrong type (a label that is not integers, a field that is not a DataArray...)."""


class CannotResumeError(InvalidImageError):
    """``resume=True`` found a store that the same call would not have written; nothing was written."""


class TargetExistsError(OmeZarrError, FileExistsError):
    """The target already holds data and the call did not ask to replace it (``mode="w"``)."""


class NoImageError(OmeZarrError, FileNotFoundError):
    """There is no store, group or image where one was expected."""


class MalformedStoreError(OmeZarrError, ValueError):
    """A store whose OME metadata is inconsistent or points outside it; the message names the place."""


class TransformationError(OmeZarrError, ValueError):
    """An RFC-5 coordinate transformation or coordinate system that cannot be used as asked.

    A malformed transformation, points whose dimensionality does not match, an inverse that does not
    exist, a coordinate system that is not defined, no chain of transformations between two systems,
    or a cycle among a scene's transformations. The message says which.
    """


class UnsupportedTransformError(OmeZarrError, NotImplementedError):
    """A store whose coordinate transformations are valid OME-NGFF but not read yet (affine, rotation...)."""
