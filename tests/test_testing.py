"""The hypothesis strategies of :mod:`xarray_omezarr.testing` draw what they promise.

That the writer accepts what they draw is shown by their examples (doctests) and by the round-trip tests
that use them; here, without writing anything, the promises themselves: cumulative scale factors that keep
every axis at one pixel or more under the method's size rule, chunks and shards of the right shape, labels
on the image's grid, plates of ``<row>/<column>`` wells.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from xarray_omezarr.geometry.axes import axes_from_dims, spec_order
from xarray_omezarr.scale import Methods, get_method
from xarray_omezarr.scale.levels import pyramid_factors
from xarray_omezarr.testing import (
    VERSIONS,
    WRITABLE_VERSIONS,
    images,
    labels,
    methods,
    plates,
    scale_factors,
    storage_options,
    versions,
)


@settings(max_examples=100, deadline=None)
@given(image=images(), method=st.one_of(st.none(), methods()), data=st.data())
def test_scale_factors_are_cumulative_and_keep_every_axis(image, method, data):
    factors = data.draw(scale_factors(image, method, max_levels=4))
    assert isinstance(factors, tuple) and len(factors) <= 4
    assert all(isinstance(f, int) for f in factors) or all(isinstance(f, dict) for f in factors)
    axes = axes_from_dims([str(d) for d in image.dims])
    space = {a.name for a in axes if a.type == "space"}
    for entry in factors:
        assert not isinstance(entry, dict) or set(entry) <= space
    rule = get_method(method) if method is not None else get_method("local_mean")  # None: the block grid
    levels = pyramid_factors(factors, axes, image.shape, rule.name)  # refuses what would not fit
    for before, after in itertools.pairwise(levels):
        assert all(a % b == 0 for a, b in zip(after, before, strict=True))
    for level in levels:
        assert all(rule.size(n, f) >= 1 for n, f in zip(image.shape, level, strict=True))


def test_nearest_factors_may_be_larger_than_the_axis():
    image = xr.DataArray(np.zeros((3, 3), "uint8"), dims=("y", "x"))
    seen = set()

    @settings(max_examples=100, deadline=None)
    @given(scale_factors(image, Methods.NEAREST, min_levels=3))
    def collect(factors):
        seen.update(f for entry in factors for f in (entry.values() if isinstance(entry, dict) else [entry]))

    collect()
    assert max(seen) > 3


@settings(max_examples=100, deadline=None)
@given(image=images(), version=versions(), data=st.data())
def test_storage_options_have_chunks_per_stored_axis_and_whole_shards(image, version, data):
    levels = data.draw(st.integers(1, 4))
    drawn = data.draw(storage_options(image, version, levels=levels))
    per_level = drawn if isinstance(drawn, list) else [drawn]
    assert len(per_level) in (1, levels)
    axes = axes_from_dims([str(d) for d in image.dims])
    shape = [image.sizes[axes[i].name] for i in spec_order(axes)]
    for options in per_level:
        assert set(options) <= {"chunks", "shards"}
        if version == "0.4":
            assert "shards" not in options
        chunks, shards = options.get("chunks"), options.get("shards")
        if chunks is not None:
            assert len(chunks) == len(shape) and all(isinstance(c, int) and c >= 1 for c in chunks)
            assert all(math.ceil(n / c) <= 4 for n, c in zip(shape, chunks, strict=True))
        if isinstance(shards, tuple):
            assert chunks is not None and all(s % c == 0 for s, c in zip(shards, chunks, strict=True))
        else:
            assert shards in (None, "auto")


@settings(max_examples=50, deadline=None)
@given(image=images(), data=st.data())
def test_labels_lie_on_the_image_grid(image, data):
    label = data.draw(labels(image))
    assert label.dims == tuple(d for d in image.dims if d != "c")
    assert label.dtype.kind in "iu" and int(label.min()) >= 0
    for dim in label.dims:
        assert label.sizes[dim] == image.sizes[dim]
        if dim in image.coords:
            assert label[dim].equals(image[dim])
            assert label[dim].attrs == image[dim].attrs
        else:
            assert dim not in label.coords


@settings(max_examples=25, deadline=None)
@given(wells=plates(max_rows=3, max_columns=4, max_fields=3), data=st.data())
def test_plates_have_row_column_wells_of_like_fields(wells, data):
    assert wells
    rows = {path.split("/")[0] for path in wells}
    columns = {path.split("/")[1] for path in wells}
    assert rows <= set("ABC") and columns <= {"1", "2", "3", "4"}
    fields = [f for well in wells.values() for f in well]
    assert all(1 <= len(well) <= 3 for well in wells.values())
    assert len({f.dims for f in fields}) == 1 and len({f.name for f in fields}) == 1
    dense_wells = data.draw(plates(dense=True))
    assert len(dense_wells) == len({p.split("/")[0] for p in dense_wells}) * len(
        {p.split("/")[1] for p in dense_wells}
    )
    assert len({len(well) for well in dense_wells.values()}) == 1
    dense_fields = [f for well in dense_wells.values() for f in well]
    assert len({(f.shape, f.dtype) for f in dense_fields}) == 1
    first = dense_fields[0]
    assert all(all(f[d].equals(first[d]) for d in first.coords) for f in dense_fields)


def test_versions_and_methods():
    assert VERSIONS == ("0.4", "0.5")
    assert WRITABLE_VERSIONS == ("0.4", "0.5", "0.6")
    seen_versions, seen_methods = set(), set()

    @settings(max_examples=60, deadline=None)
    @given(versions(), methods(), methods(among=["mode", "nearest"]))
    def collect(version, method, label_method):
        seen_versions.add(version)
        seen_methods.add(method)
        assert label_method in ("mode", "nearest")

    collect()
    assert seen_versions == set(WRITABLE_VERSIONS)
    assert seen_methods <= set(Methods) and len(seen_methods) > 3
