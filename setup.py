"""Build script: compiles the Cython kernels when it can.

Which folder becomes which package is stated once, in pyproject.toml's `[tool.setuptools]`.
Without a C compiler (or without Cython) the build still succeeds and installs the pure-Python twins,
unless FASTMLMD_REQUIRE_COMPILED=1 (CI sets it): then a failed compile fails the install.
"""
from __future__ import annotations

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

KERNELS = ["rowcore"]
REQUIRE_COMPILED = os.environ.get("FASTMLMD_REQUIRE_COMPILED") == "1"


class OptionalBuildExt(build_ext):
    """Compiles the kernels, and falls back to pure Python when compiling fails (unless REQUIRE_COMPILED)."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, missing headers: the pure-Python twins still work
            self._fall_back(exc)

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._fall_back(exc)

    @staticmethod
    def _fall_back(exc: Exception) -> None:
        if REQUIRE_COMPILED:
            raise RuntimeError(f"FASTMLMD_REQUIRE_COMPILED=1, but the Cython kernels failed to compile: {exc}") from exc
        print(f"fastmlmd: not compiling the Cython kernels ({exc}); installing pure Python", file=sys.stderr)


def _extensions() -> list:
    if os.environ.get("FASTMLMD_PURE_PYTHON") == "1" and not REQUIRE_COMPILED:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRE_COMPILED:
            raise
        return []
    from setuptools import Extension

    modules = [Extension(f"fastmlmd.engine._{name}", [f"engine/_{name}.pyx"]) for name in KERNELS]
    return cythonize(modules, language_level=3, quiet=True)


setup(
    ext_modules=_extensions(),
    cmdclass={"build_ext": OptionalBuildExt},
    zip_safe=False,
)
