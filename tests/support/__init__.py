"""Helpers shared by the test modules.

- :mod:`tests.support.validators`: independent validation of OME-Zarr stores and metadata documents;
- :mod:`tests.support.stores`: OME metadata and files of a store on disk, snapshots for byte-for-byte checks;
- :mod:`tests.support.builders`: regular coordinates and small images and labels.
"""
