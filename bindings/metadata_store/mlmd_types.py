"""The simple system types of MLMD (`mlmd.Dataset`, `mlmd.Train`, ...).

Each class stands for one value of `ArtifactType.SystemDefinedBaseType` or
`ExecutionType.SystemDefinedBaseType`; an instance exposes the built-in type's `.name` and the enum
value as `.system_type`, so callers can write `mlmd_types.Dataset().name`.

Upstream reads the list of simple types from a text proto compiled into its C++ library; here the
type names come straight from the `system_type_extension` option on each enum value, which is where
upstream also gets the name it looks up. UNSET names no simple type, so it raises NotFoundError.
"""
from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Union

from ml_metadata.proto import metadata_store_pb2

if TYPE_CHECKING:
    from google.protobuf.descriptor import EnumDescriptor

_TypeProto = Union[metadata_store_pb2.ArtifactType, metadata_store_pb2.ExecutionType]


def _type_name(enum: EnumDescriptor, system_type: int) -> str:
    """The `system_type_extension.type_name` option of one enum value (KeyError if no such value)."""
    options = enum.values_by_number[system_type].GetOptions()
    # protoc's stubs declare the extension a plain FieldDescriptor, which typeshed's Extensions rejects.
    return options.Extensions[metadata_store_pb2.system_type_extension].type_name  # type: ignore[index]


def _simple_types() -> dict[str, _TypeProto]:
    """Every simple system type, by name: the non-UNSET values of the two SystemDefinedBaseType enums."""
    found: dict[str, _TypeProto] = {}
    for proto_class in (metadata_store_pb2.ArtifactType, metadata_store_pb2.ExecutionType):
        enum = proto_class.SystemDefinedBaseType.DESCRIPTOR
        for value in enum.values:
            if value.number != proto_class.UNSET:
                name = _type_name(enum, value.number)
                found[name] = proto_class(name=name)
    return found


_SIMPLE_TYPES = _simple_types()


def _not_found(message: str) -> Exception:
    """NotFoundError, as upstream raises.

    Imported here, not at the top: this module needs nothing but ml_metadata.proto and protobuf, and
    tests/test_protobuf_versions.py imports it with nothing else installed.
    """
    from ml_metadata import errors

    return errors.NotFoundError(message)


class _SystemType(abc.ABC):
    """A simple system type, looked up by its type name."""

    def __init__(self, type_name: str) -> None:
        """Finds the simple type called `type_name`.

        Raises:
            NotFoundError: no simple type has that name (e.g. "unset_artifact_type").
        """
        if type_name not in _SIMPLE_TYPES:
            raise _not_found(f"Type name: {type_name} is not found")
        self._type = _SIMPLE_TYPES[type_name]

    @property
    def name(self) -> str:
        """The built-in type name, e.g. "mlmd.Dataset"."""
        return self._type.name


class ArtifactType(_SystemType):
    """A simple artifact type, for annotating artifact types (see `ArtifactType.base_type`)."""

    def __init__(self, system_type: int) -> None:
        """Binds the type to a value of `ArtifactType.SystemDefinedBaseType`.

        Raises:
            KeyError: `system_type` is not a value of the enum.
            NotFoundError: the value names no simple type (UNSET).
        """
        self._system_type = system_type
        enum = metadata_store_pb2.ArtifactType.SystemDefinedBaseType.DESCRIPTOR
        super().__init__(_type_name(enum, system_type))

    @property
    def system_type(self) -> int:
        """The `ArtifactType.SystemDefinedBaseType` value."""
        return self._system_type


class ExecutionType(_SystemType):
    """A simple execution type, for annotating execution types (see `ExecutionType.base_type`)."""

    def __init__(self, system_type: int) -> None:
        """Binds the type to a value of `ExecutionType.SystemDefinedBaseType`.

        Raises:
            KeyError: `system_type` is not a value of the enum.
            NotFoundError: the value names no simple type (UNSET).
        """
        self._system_type = system_type
        enum = metadata_store_pb2.ExecutionType.SystemDefinedBaseType.DESCRIPTOR
        super().__init__(_type_name(enum, system_type))

    @property
    def system_type(self) -> int:
        """The `ExecutionType.SystemDefinedBaseType` value."""
        return self._system_type


class Dataset(ArtifactType):
    """The system artifact type `mlmd.Dataset`."""

    def __init__(self) -> None:
        super().__init__(metadata_store_pb2.ArtifactType.DATASET)


class Model(ArtifactType):
    """The system artifact type `mlmd.Model`."""

    def __init__(self) -> None:
        super().__init__(metadata_store_pb2.ArtifactType.MODEL)


class Statistics(ArtifactType):
    """The system artifact type `mlmd.Statistics`."""

    def __init__(self) -> None:
        super().__init__(metadata_store_pb2.ArtifactType.STATISTICS)


class Metrics(ArtifactType):
    """The system artifact type `mlmd.Metrics`."""

    def __init__(self) -> None:
        super().__init__(metadata_store_pb2.ArtifactType.METRICS)


class Train(ExecutionType):
    """The system execution type `mlmd.Train`."""

    def __init__(self) -> None:
        super().__init__(metadata_store_pb2.ExecutionType.TRAIN)


class Transform(ExecutionType):
    """The system execution type `mlmd.Transform`."""

    def __init__(self) -> None:
        super().__init__(metadata_store_pb2.ExecutionType.TRANSFORM)


class Process(ExecutionType):
    """The system execution type `mlmd.Process`."""

    def __init__(self) -> None:
        super().__init__(metadata_store_pb2.ExecutionType.PROCESS)


class Evaluate(ExecutionType):
    """The system execution type `mlmd.Evaluate`."""

    def __init__(self) -> None:
        super().__init__(metadata_store_pb2.ExecutionType.EVALUATE)


class Deploy(ExecutionType):
    """The system execution type `mlmd.Deploy`."""

    def __init__(self) -> None:
        super().__init__(metadata_store_pb2.ExecutionType.DEPLOY)
