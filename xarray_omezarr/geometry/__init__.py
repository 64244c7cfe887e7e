"""Axes, units and coordinate transforms: what an image's dims and coordinates mean, without any store."""
