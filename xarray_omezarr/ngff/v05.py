"""OME-NGFF 0.5: Zarr v3, OME metadata under ``attributes["ome"]`` with one ``version`` per group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .base import Format

__all__ = ["FormatV05"]


@dataclass(frozen=True)
class FormatV05(Format):
    """OME-NGFF 0.5: Zarr v3, metadata under ``attributes["ome"]`` with one ``version`` for the group."""

    version: str = "0.5"
    zarr_format: Literal[2, 3] = 3

    def wrap(self, ome: dict[str, Any]) -> dict[str, Any]:
        return {"ome": {"version": self.version, **ome}}

    def chunk_key_encoding(self) -> dict[str, str]:
        return {"name": "default", "separator": "/"}
