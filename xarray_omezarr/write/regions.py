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

__all__ = [
    "Region",
    "independent_regions",
    "level_regions",
    "region_from_slices",
    "region_grid",
    "region_of_part",
]

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


def _exclusive(start: int, stop: int, size: int, step: int) -> bool:
    """Whether ``[start, stop)`` is made of whole objects of ``step`` pixels of an axis of ``size``."""
    return start % step == 0 and (stop % step == 0 or stop == size)


def independent_regions(
    image: Multiscale, factors: Sequence[tuple[int, ...]], method: Method, changed: Region
) -> list[Region]:
    """The exact region of each level a write of ``changed`` reaches, refused unless it is its own.

    A region is independent when, at every level, what it changes is whole stored objects (chunks,
    or shards) that no pixel outside it contributes to: then writers of disjoint independent regions
    never write the same object, and each object's new content depends only on its writer's data,
    so they may run at the same time. That needs a method without halo (``local_mean``, ``nearest``,
    ``mode``, ``zoom``: the smoothing methods read beyond their blocks) along the downsampled axes,
    and the region on :func:`region_grid`. Raises :class:`~xarray_omezarr.errors.InvalidImageError`
    otherwise, saying where.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> from xarray_omezarr.model import Level, LinearAxis
    >>> from xarray_omezarr.scale import get_method
    >>> g = (LinearAxis(), LinearAxis())
    >>> image = Multiscale(tuple(axes_from_dims("yx")), (Level("0", (64, 64), g, (16, 16)),
    ...     Level("1", (32, 32), g, (8, 8))))
    >>> independent_regions(image, [(1, 1), (2, 2)], get_method("local_mean"), (slice(0, 16), slice(16, 32)))[1]
    (slice(0, 8, None), slice(8, 16, None))
    """
    bounds: list[list[tuple[int, int]]] = [[(s.start, s.stop) for s in changed]]
    for index, level in enumerate(image.levels):
        objects = level.shards or level.chunks or level.shape
        if index > 0:
            source = source_level(list(factors[:index]), tuple(factors[index]))
            relative = [t // f for t, f in zip(factors[index], factors[source], strict=True)]
            reached = []
            for dim, (a, b), r, n, m in zip(
                image.dims, bounds[source], relative, level.shape, image.levels[source].shape, strict=True
            ):
                if r > 1 and method.reach(r) > 0 and (a, b) != (0, m):
                    raise InvalidImageError(
                        f"the region is not independent: the method {method.name.value!r} smooths, so level "
                        f"{index} along {dim!r} depends on level-0 pixels beyond the region (its halo). Write the "
                        "tiles without independent=True one after another, or write level 0 only from each "
                        "worker and call xarray_omezarr.update_pyramid once all tiles are in, or use a method "
                        "without halo (local_mean, nearest, mode)"
                    )
                if a % r or (b % r and b != m):
                    raise InvalidImageError(_not_on_grid(index, dim, a, b, r, "the level's factor"))
                reached.append((a // r, n if b == m else b // r))
            bounds.append(reached)
        for dim, (a, b), n, o in zip(image.dims, bounds[index], level.shape, objects, strict=True):
            if not _exclusive(a, b, n, o):
                raise InvalidImageError(_not_on_grid(index, dim, a, b, o, "its stored objects"))
    return [tuple(slice(a, b) for a, b in level_bounds) for level_bounds in bounds]


def _not_on_grid(index: int, dim: str, a: int, b: int, step: int, what: str) -> str:
    return (
        f"the region is not independent: at level {index} it reaches pixels {a} to {b - 1} along {dim!r}, "
        f"which is not whole multiples of {what} ({step} pixels), so it shares a stored object with its "
        "neighbours; align the tiles to xarray_omezarr.tile_grid(store), or write without "
        "independent=True one tile after another"
    )


def region_grid(image: Multiscale, factors: Sequence[tuple[int, ...]]) -> dict[str, int]:
    """The smallest level-0 tile size, per dim, whose aligned tiles are independent at every level.

    Along each axis the least common multiple, over the levels, of the level's stored objects
    (shards, or chunks) times its cumulative factor; a tile may also end at the image's edge.

    Examples
    --------
    >>> from xarray_omezarr.geometry.axes import axes_from_dims
    >>> from xarray_omezarr.model import Level, LinearAxis
    >>> g = (LinearAxis(), LinearAxis())
    >>> image = Multiscale(tuple(axes_from_dims("yx")), (Level("0", (64, 64), g, (16, 16)),
    ...     Level("1", (32, 32), g, (16, 16)), Level("2", (16, 16), g, (16, 16))))
    >>> region_grid(image, [(1, 1), (2, 2), (4, 4)])
    {'y': 64, 'x': 64}
    """
    out = {}
    for axis, dim in enumerate(image.dims):
        steps = [
            (lv.shards or lv.chunks or lv.shape)[axis] * f[axis]
            for lv, f in zip(image.levels, factors, strict=True)
        ]
        out[dim] = min(math.lcm(*steps), image.levels[0].shape[axis]) if steps else 1
    return out
