"""Fingerprints of the files a component reads outside ExampleGen, passed as a
component parameter so that a changed input is never served from the cache (as TFX's
file-based ExampleGen fingerprints its inputs): name, size and modification time of
each file, every file under a folder included (:func:`tree_files`: sub-folders too, so
an image replaced in a sub-folder is a cache miss)."""
from __future__ import annotations

import hashlib
import os
from typing import Callable, Iterable, Optional

__all__ = ["files_fingerprint", "tree_files"]


def files_fingerprint(paths: Iterable[str], name: Optional[Callable[[str], str]] = None) -> str:
    """SHA-256 over ``name(path)``, size and modification time of every path, in order
    (``name``: how a path is written into the fingerprint; default the path itself)."""
    h = hashlib.sha256()
    for path in paths:
        st = os.stat(path)
        h.update(f"{name(path) if name else path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def tree_files(root: str, suffixes: tuple[str, ...] = ()) -> list[str]:
    """Every file under ``root``, sub-folders included, in a stable order (sorted
    relative paths); ``suffixes``: only names ending so (case-insensitive)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        found += [os.path.join(folder, f) for f in files if not suffixes or f.lower().endswith(suffixes)]
    return sorted(found, key=lambda p: os.path.relpath(p, root))
