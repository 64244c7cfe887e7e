"""Which part of every level a change to level 0 reaches, and where a part of the image goes.

Pure index arithmetic. A level is computed from the finer level its factors derive from; an output
pixel of a block-grid method depends on its block and, for the smoothing methods, on a halo around
it (:meth:`~xarray_omezarr.scale.Method.reach`). So a changed region of level 0 changes a region of
each coarser level, which is then widened to whole stored objects (chunks, or shards) so that the
engine rewrites whole objects, recomputed exactly from level 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..describe import Described
from ..errors import InvalidImageError
from ..model import Multiscale
from ..scale import Method
from ..scale.levels import source_level

__all__ = ["Region", "level_regions", "region_from_slices", "region_of_part"]

Region = tuple[slice, ...]
"""One slice per axis, in a level's index space."""

_RTOL = 1e-6


def _widened(start: int, stop: int, size: int, step: int) -> tuple[int, int]:
    """``[start, stop)`` widened to whole objects of ``step`` pixels, within ``size``."""
    return (start // step) * step, min(size, -(-stop // step) * step)


def level_regions(
    image: Multiscale, factors: Sequence[tuple[int, ...]], method: Method, changed: Region
) -> list[Region]:
    """The region of each level (level 0 first) to rewrite once level 0 changed in ``changed``.

    ``factors`` are the cumulative factors per level (level 0 first). Level 0's own region is
    ``changed`` itself; the others are widened to whole stored objects.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> from xarray_omezarr.model import Level, LinearAxis
    >>> from xarray_omezarr.scale import get_method
    >>> g = (LinearAxis(), LinearAxis())
    >>> image = Multiscale(tuple(axes_from_dims("yx")), (Level("0", (64, 64), g, (16, 16)),
    ...     Level("1", (32, 32), g, (8, 8)), Level("2", (16, 16), g, (8, 8))))
    >>> regions = level_regions(image, [(1, 1), (2, 2), (4, 4)], get_method("local_mean"), (slice(0, 16), slice(20, 30)))
    >>> regions[1], regions[2]
    ((slice(0, 16, None), slice(8, 16, None)), (slice(0, 8, None), slice(0, 16, None)))
    """
    bounds: list[list[tuple[int, int]]] = [[(s.start, s.stop) for s in changed]]
    for index in range(1, len(image.levels)):
        source = source_level(list(factors[:index]), tuple(factors[index]))
        relative = [t // f for t, f in zip(factors[index], factors[source], strict=True)]
        size = image.levels[index].shape
        reached = []
        for (a, b), r, n in zip(bounds[source], relative, size, strict=True):
            if a >= b:
                reached.append((0, 0))
                continue
            halo = method.reach(r)
            # output j reads input [j r - halo, (j + 1) r + halo) (nearest reads j r only: a subset);
            # one more pixel each side covers the mirrored reads at the image's borders
            reached.append((max(0, math.floor((a - halo) / r) - 1), min(n, math.ceil((b + halo) / r) + 1)))
        bounds.append(reached)
    regions = [tuple(changed)]
    for level, levels_bounds in zip(image.levels[1:], bounds[1:], strict=True):
        objects = level.shards or level.chunks or level.shape
        widened = [
            _widened(a, b, n, o) for (a, b), n, o in zip(levels_bounds, level.shape, objects, strict=True)
        ]
        regions.append(tuple(slice(a, b) for a, b in widened))
    return regions


def region_from_slices(image: Multiscale, region: Mapping[str, slice]) -> Region:
    """A region given by dim name in level-0 index space, with every axis filled in and checked."""
    unknown = sorted(set(region) - set(image.dims))
    if unknown:
        raise InvalidImageError(f"region names {unknown}, which are not axes of the image {image.dims}")
    out = []
    for dim, n in zip(image.dims, image.levels[0].shape, strict=True):
        given = region.get(dim, slice(None))
        if not isinstance(given, slice) or given.step not in (None, 1):
            raise InvalidImageError(f"region[{dim!r}] must be a slice with step 1; got {given!r}")
        start, stop, _ = given.indices(n)
        outside = [v for v in (given.start, given.stop) if v is not None and not 0 <= v <= n]
        if outside:
            raise InvalidImageError(
                f"region[{dim!r}] = {given!r} lies outside the image's {n} pixels along {dim!r}"
            )
        if stop <= start:
            raise InvalidImageError(f"region[{dim!r}] = {given!r} is empty")
        out.append(slice(start, stop))
    return tuple(out)


def region_of_part(part: Described, image: Multiscale) -> Region:
    """Where ``part`` lies in level 0 of ``image``, from its coordinates (``region="auto"``).

    Its coordinates must lie on the image's pixels, and the part inside the image.
    """
    level0 = image.levels[0]
    out = []
    for axis, n, size, mine, theirs in zip(
        image.axes, level0.shape, part.image.levels[0].shape, part.geometry, level0.geometry, strict=True
    ):
        if axis.type == "channel":
            labels, part_labels = image.channel_labels(), part.image.channel_labels()
            if size == n:
                out.append(slice(0, n))
                continue
            if labels is None or part_labels is None or not set(part_labels) <= set(labels):
                raise InvalidImageError(
                    f"the part has {size} of the image's {n} channels; give it channel names the image has "
                    "(a 'c' coordinate), or a region={'c': slice(...)}"
                )
            first = labels.index(part_labels[0])
            if labels[first : first + size] != part_labels:
                raise InvalidImageError(
                    f"the part's channels {part_labels} are not consecutive channels of {labels}"
                )
            out.append(slice(first, first + size))
            continue
        if size > 1 and not math.isclose(mine.scale, theirs.scale, rel_tol=_RTOL):
            raise InvalidImageError(
                f"the part's {axis.name!r} step is {mine.scale:g}; the image's is {theirs.scale:g}"
            )
        offset = (mine.translation - theirs.translation) / theirs.scale
        start = round(offset)
        if not math.isclose(offset, start, abs_tol=_RTOL * max(1.0, abs(offset))):
            raise InvalidImageError(
                f"the part's {axis.name!r} coordinate starts at {mine.translation:g}, between the image's pixels "
                f"(at {theirs.translation:g} + {theirs.scale:g} i): it is off the image's grid"
            )
        if start < 0 or start + size > n:
            raise InvalidImageError(
                f"the part covers pixels {start} to {start + size - 1} along {axis.name!r}; the image has 0 to {n - 1}"
            )
        out.append(slice(start, start + size))
    return tuple(out)
