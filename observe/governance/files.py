"""Files the app creates are its owner's only: 0600 files, 0700 folders.

The database, its WAL/SHM files, the media folder and everything in it hold confidential
counseling data, so nobody else on the machine may read them. Two layers:

* :func:`owner_only_umask` at every entry point (``python -m observe``, the Streamlit server):
  whatever the process writes afterwards — by Python, SQLite or a child like ffmpeg — is
  created without group or other bits;
* :func:`private_dir` and :func:`private_file` where the core creates the database and the
  media folder, so library use without the entry points is private too. SQLite creates the
  WAL and SHM files with the database file's own mode, so a database file created 0600
  keeps both private.

Folders and files that already exist are left as the user made them (a shared folder set up
on purpose stays shared); only what the app creates is made private.
"""

from __future__ import annotations

import os
from pathlib import Path

OWNER_ONLY_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def owner_only_umask() -> None:
    """Remove group and other permission bits from everything this process creates from now on
    (keeping any stricter bits the process umask already has)."""
    current = os.umask(OWNER_ONLY_UMASK)
    os.umask(current | OWNER_ONLY_UMASK)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a folder, creating it and any missing parents with mode 0700."""
    folder = Path(path).expanduser()
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for part in reversed(missing):
        try:
            part.mkdir(mode=DIR_MODE)
        except FileExistsError:  # made by another process at the same moment
            continue
        os.chmod(part, DIR_MODE)  # mkdir's mode is filtered by the umask; make it exact
    return folder


def private_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist (an existing file is left alone)."""
    file = Path(path).expanduser()
    try:
        handle = os.open(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return file
    os.close(handle)
    os.chmod(file, FILE_MODE)
    return file
