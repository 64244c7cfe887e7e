"""The test suite of ``xarray_omezarr``; shared helpers live in :mod:`tests.support`."""
