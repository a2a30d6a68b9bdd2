"""An uploaded file kept on disk while an import reads it (the imports read files twice and by
path: a CSV's encoding is sniffed, an XLSX is opened by openpyxl)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from app.core.config import get_settings
from app.core.errors import StorageFull, is_disk_full

CHUNK = 1024 * 1024


@contextmanager
def kept_upload(source: BinaryIO, *, suffix: str = "upload") -> Iterator[Path]:
    """The upload, copied under the data folder for the block and removed after it. A full disk,
    here or in the block, is StorageFull: nothing was imported."""
    folder = get_settings().data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(12)}.{suffix}"
    try:
        with path.open("wb") as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
        yield path
    except OSError as exc:
        if is_disk_full(exc):
            raise StorageFull() from exc
        raise
    finally:
        path.unlink(missing_ok=True)
