"""Where the app's own files are: ``app.py``, ``pages/`` and the Streamlit settings beside them.

In a checkout they are at the top of the repository; an installed package (``pip install .``)
carries them as ``observe/_site`` (see setup.py), so ``observe serve`` works from any folder.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # observe/


def app_dir() -> Path:
    """The folder holding ``app.py`` and ``pages/``.

    >>> (app_dir() / "app.py").is_file() and (app_dir() / "pages").is_dir()
    True
    """
    installed = _PACKAGE / "_site"
    return installed if (installed / "app.py").is_file() else _PACKAGE.parent


def streamlit_flags(root: Path | None = None) -> list[str]:
    """The settings of ``.streamlit/config.toml`` beside the app as ``streamlit run`` options.

    Streamlit reads that file only from the current folder; as options they hold wherever
    ``observe serve`` is started (options given after them still win).

    >>> "--server.address=127.0.0.1" in streamlit_flags()
    True
    """
    path = (root or app_dir()) / ".streamlit" / "config.toml"
    if not path.is_file():
        return []
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        f"--{section}.{key}={str(value).lower() if isinstance(value, bool) else value}"
        for section, values in config.items()
        for key, value in values.items()
    ]
