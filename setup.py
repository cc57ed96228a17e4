"""Build script: maps the source folders to import packages and compiles the Cython kernels when it can.

`bindings/` becomes the public `ml_metadata` package; `engine/` and `grammar/` become the internal
`fastmlmd.engine` and `fastmlmd.grammar`, so nothing named `engine` or `grammar` lands in site-packages.
Without a C compiler (or without Cython) the build still succeeds and installs the pure-Python twins.
"""
from __future__ import annotations

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

PACKAGE_DIR = {
    "ml_metadata": "bindings",
    "fastmlmd": "fastmlmd",
    "fastmlmd.engine": "engine",
    "fastmlmd.grammar": "grammar",
}
PACKAGES = [
    "ml_metadata",
    "ml_metadata.proto",
    "ml_metadata.metadata_store",
    "ml_metadata.simple_types",
    "ml_metadata.simple_types.proto",
    "fastmlmd",
    "fastmlmd.bench",
    "fastmlmd.engine",
    "fastmlmd.grammar",
]
PACKAGE_DATA = {
    "ml_metadata.proto": ["*.proto", "*.pyi"],
    "ml_metadata.simple_types.proto": ["*.proto", "*.pyi"],
    "fastmlmd.grammar": ["*.lark"],
    "fastmlmd.engine": ["*.pyx"],
}
KERNELS = ["rowcore"]


class OptionalBuildExt(build_ext):
    """Compiles the kernels, and falls back to pure Python when compiling fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, missing headers: the pure-Python twins still work
            self._warn(exc)

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._warn(exc)

    @staticmethod
    def _warn(exc: Exception) -> None:
        print(f"fastmlmd: not compiling the Cython kernels ({exc}); installing pure Python", file=sys.stderr)


def _extensions() -> list:
    if os.environ.get("FASTMLMD_PURE_PYTHON") == "1":
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        return []
    from setuptools import Extension

    modules = [Extension(f"fastmlmd.engine._{name}", [f"engine/_{name}.pyx"]) for name in KERNELS]
    return cythonize(modules, language_level=3, quiet=True)


setup(
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    package_data=PACKAGE_DATA,
    ext_modules=_extensions(),
    cmdclass={"build_ext": OptionalBuildExt},
    zip_safe=False,
)
