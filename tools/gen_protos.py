"""Regenerate the committed protobuf modules of `ml_metadata` from our .proto files.

Run it as `make protos` (or `python tools/gen_protos.py`). The generated `*_pb2.py`, `*_pb2.pyi` and
`*_pb2_grpc.py` files are committed, so installing the package never needs protoc.

Why a pinned, old protoc: gencode from protoc >= 26 (protobuf 5.26+) calls
`runtime_version.ValidateProtobufRuntimeVersion`, which refuses any runtime older than the protoc
that wrote it. We promise protobuf 4.25 through the newest 7.x, so we generate with protoc 25.1,
the compiler bundled in grpcio-tools 1.62.3 (the last grpcio-tools release on protobuf 4.x). Its
gencode builds everything from one serialized FileDescriptorProto through
`google.protobuf.internal.builder`, which every runtime from 4.25 to 7.x provides, and its gRPC
stubs carry no grpcio version check. tests/test_protobuf_versions.py imports the result on the
oldest and newest runtimes.

grpcio-tools is installed into a private virtualenv (build/gen-protos-venv-<python>, reused on the
next run), never into the project's environment, whose protobuf it would pin below 5.

The descriptor file names must be the upstream ones (`ml_metadata/proto/metadata_store.proto`,
...), because they are baked into the gencode and must match the import paths between .proto files.
Our sources live in bindings/, so they are copied into a staging tree shaped like the upstream one
and compiled from there.
"""
from __future__ import annotations

import argparse
import filecmp
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRPCIO_TOOLS = "grpcio-tools==1.62.3"
PROTOC_VERSION = "libprotoc 25.1"
# grpcio-tools 1.62.3 ships wheels for CPython 3.7-3.12 only; elsewhere it would build from source.
TOOL_PYTHONS = ("3.12", "3.11", "3.10", "3.9")

# descriptor file name (what protoc sees) -> our source, relative to ROOT
PROTOS = {
    "ml_metadata/proto/metadata_store.proto": "bindings/proto/metadata_store.proto",
    "ml_metadata/proto/metadata_store_service.proto": "bindings/proto/metadata_store_service.proto",
    "ml_metadata/simple_types/proto/simple_types.proto": "bindings/simple_types/proto/simple_types.proto",
}
# generated module, relative to protoc's output folder -> its committed place, relative to ROOT
OUTPUTS = {
    "ml_metadata/proto/metadata_store_pb2.py": "bindings/proto/metadata_store_pb2.py",
    "ml_metadata/proto/metadata_store_pb2.pyi": "bindings/proto/metadata_store_pb2.pyi",
    "ml_metadata/proto/metadata_store_service_pb2.py": "bindings/proto/metadata_store_service_pb2.py",
    "ml_metadata/proto/metadata_store_service_pb2.pyi": "bindings/proto/metadata_store_service_pb2.pyi",
    "ml_metadata/proto/metadata_store_service_pb2_grpc.py": "bindings/proto/metadata_store_service_pb2_grpc.py",
    "ml_metadata/simple_types/proto/simple_types_pb2.py": "bindings/simple_types/proto/simple_types_pb2.py",
    "ml_metadata/simple_types/proto/simple_types_pb2.pyi": "bindings/simple_types/proto/simple_types_pb2.pyi",
}
# Only the service file declares a service; protoc's gRPC plugin writes an empty module for the others.
GRPC_PROTOS = ("ml_metadata/proto/metadata_store_service.proto",)


def _version_of(python: str) -> str | None:
    """Returns "3.X" for an interpreter, or None when it does not run."""
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            check=True, capture_output=True, text=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def find_tool_python(explicit: str | None) -> str:
    """Picks an interpreter that has a grpcio-tools 1.62.3 wheel.

    Args:
        explicit: the --python argument, used as is when given.

    Returns:
        Path of the interpreter.

    Raises:
        SystemExit: when no suitable interpreter is found.
    """
    if explicit:
        return explicit
    candidates = [sys.executable]
    for version in TOOL_PYTHONS:
        candidates += [shutil.which(f"python{version}") or ""]
        candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    for python in filter(None, candidates):
        if _version_of(python) in TOOL_PYTHONS:
            return python
    raise SystemExit(
        f"gen_protos: {GRPCIO_TOOLS} needs CPython {'/'.join(TOOL_PYTHONS)}; "
        "none was found. Pass one with --python /path/to/python3.11"
    )


def ensure_tool_venv(python: str) -> Path:
    """Creates (once) a private virtualenv holding grpcio-tools; returns its interpreter."""
    folder = ROOT / "build" / f"gen-protos-venv-{_version_of(python)}"
    tool = folder / "bin" / "python"
    marker = folder / ".installed"
    if marker.exists() and marker.read_text() == GRPCIO_TOOLS:
        return tool
    if folder.exists():
        shutil.rmtree(folder)
    subprocess.run([python, "-m", "venv", str(folder)], check=True)
    subprocess.run([str(tool), "-m", "pip", "install", "-q", GRPCIO_TOOLS], check=True)
    marker.write_text(GRPCIO_TOOLS)
    return tool


def run_protoc(tool: Path, out_dir: Path) -> None:
    """Compiles the staged protos into out_dir with protoc 25.1 and the gRPC plugin."""
    version = subprocess.run(
        [str(tool), "-m", "grpc_tools.protoc", "--version"], check=True, capture_output=True, text=True,
    ).stdout.strip()
    if version != PROTOC_VERSION:
        raise SystemExit(f"gen_protos: expected {PROTOC_VERSION} from {GRPCIO_TOOLS}, got {version!r}")
    staging = out_dir / "_staging"
    for name, source in PROTOS.items():
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, target)
    common = [str(tool), "-m", "grpc_tools.protoc", f"-I{staging}"]
    subprocess.run(common + [f"--python_out={out_dir}", f"--pyi_out={out_dir}", *PROTOS], check=True)
    subprocess.run(common + [f"--grpc_python_out={out_dir}", *GRPC_PROTOS], check=True)


def main(argv: list[str] | None = None) -> int:
    """Generates the modules; with --check only reports whether the committed ones are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="interpreter for the grpcio-tools virtualenv (CPython 3.9-3.12)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed modules are stale")
    args = parser.parse_args(argv)

    tool = ensure_tool_venv(find_tool_python(args.python))
    with tempfile.TemporaryDirectory(prefix="gen-protos-") as tmp:
        out_dir = Path(tmp)
        run_protoc(tool, out_dir)
        stale = [dest for src, dest in OUTPUTS.items()
                 if not (ROOT / dest).exists() or not filecmp.cmp(out_dir / src, ROOT / dest, shallow=False)]
        if args.check:
            for dest in stale:
                print(f"gen_protos: {dest} is out of date; run `make protos`", file=sys.stderr)
            return 1 if stale else 0
        for src, dest in OUTPUTS.items():
            shutil.copyfile(out_dir / src, ROOT / dest)
        print(f"gen_protos: wrote {len(OUTPUTS)} files ({len(stale)} changed) with {PROTOC_VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
