"""Packaging beyond pyproject.toml: the app's own files ride along in the wheel.

``app.py`` and ``pages/`` live at the top of the repository (Streamlit routes by that folder);
installed, they become ``observe/_site`` so that ``observe serve`` finds them
(observe.ui.app_files). Everything else is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    """Of the top folder's modules only ``app.py`` belongs to the app (not this file)."""

    def find_package_modules(self, package, package_dir):  # type: ignore[no-untyped-def]
        modules = super().find_package_modules(package, package_dir)
        return [m for m in modules if package != "observe._site" or m[1] == "app"]


setup(
    packages=[
        *find_namespace_packages(
            include=["observe", "observe.*"],
            exclude=["*.__pycache__", "observe.ui.plot_web.build*"],  # the chart library's build: not shipped
        ),
        "observe._site",
        "observe._site.pages",
    ],
    package_dir={"observe._site": ".", "observe._site.pages": "pages"},
    cmdclass={"build_py": BuildPy},
)
