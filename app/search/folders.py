"""Where the engines that keep an index in a folder (Whoosh, tantivy) keep it: building a fresh
index beside the live one and swapping it in, and the one-indexer-at-a-time lock across processes.
The folder itself is the engine's entry in `app.search.engines.ENGINES`, under PORTAL_DATA_DIR."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def fresh_folder(directory: Path) -> Path:
    """An empty folder beside the live index, to build a new one in."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    fresh = directory.parent / f"{directory.name}.new-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    return fresh


def swap_in(fresh: Path, directory: Path) -> None:
    """Put a freshly built index in place of the live one: two renames, so searches never see half."""
    old = directory.parent / f"{directory.name}.old-{os.getpid()}"
    if directory.exists():
        os.rename(directory, old)
    os.rename(fresh, directory)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def held(try_lock: Callable[[], bool], unlock: Callable[[], object], *, wait: float) -> Iterator[bool]:
    """Try the lock until `wait` seconds have passed: yields True while holding it (unlocked
    afterwards), or False when it could not be had."""
    deadline = time.monotonic() + wait
    while not try_lock():
        if time.monotonic() >= deadline:
            yield False
            return
        time.sleep(0.1)
    try:
        yield True
    finally:
        unlock()


@contextmanager
def indexer_lock(directory: Path, *, wait: float = 0) -> Iterator[bool]:
    """One indexer of an index folder at a time across processes (a file lock beside the folder):
    yields False once `wait` seconds pass while another holds it."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    path = directory.parent / f".{directory.name}.indexer.lock"
    with path.open("a") as fh:

        def try_lock() -> bool:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        with held(try_lock, lambda: fcntl.flock(fh, fcntl.LOCK_UN), wait=wait) as mine:
            yield mine


class FolderIndex:
    """What the engines kept in an index folder (Whoosh, Tantivy) share: the folder, a lock for the
    in-process state, the open index with the folder's identity when it was opened, and the
    cross-process indexer lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._index: Any = None
        self._identity: tuple[int, int] | None = None
        self._checked_at = 0.0

    @contextmanager
    def indexer_lock(self, *, wait: float = 0) -> Iterator[bool]:
        with indexer_lock(self.directory, wait=wait) as mine:
            yield mine
