"""OME-NGFF 0.4: Zarr v2, OME metadata at the top of ``.zattrs``, a ``version`` inside each block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .base import Format

__all__ = ["FormatV04"]


@dataclass(frozen=True)
class FormatV04(Format):
    """OME-NGFF 0.4: Zarr v2, metadata at the top of ``.zattrs``, ``version`` inside each block."""

    version: str = "0.4"
    zarr_format: Literal[2, 3] = 2

    def wrap(self, ome: dict[str, Any]) -> dict[str, Any]:
        return dict(ome)

    def chunk_key_encoding(self) -> dict[str, str]:
        return {"name": "v2", "separator": "/"}
