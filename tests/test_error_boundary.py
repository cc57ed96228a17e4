"""The engine keeps its own error classes; the public API turns each into `ml_metadata.errors` at its boundary."""
from __future__ import annotations

import inspect
import sqlite3

import pytest

from fastmlmd.engine.backends import SQLITE
from fastmlmd.engine import errors as engine_errors
from ml_metadata import errors, metadata_store
from ml_metadata import _local
from ml_metadata.proto import metadata_store_pb2 as pb

ENGINE_CLASSES = [cls for _, cls in inspect.getmembers(engine_errors, inspect.isclass)
                  if issubclass(cls, engine_errors.StatusError) and cls is not engine_errors.StatusError]


@pytest.mark.parametrize("engine_class", ENGINE_CLASSES, ids=lambda cls: cls.__name__)
def test_every_engine_error_has_the_public_class_of_its_code(engine_class: type) -> None:
    public = _local.public_error(engine_class("m"))
    assert type(public).__module__ == "ml_metadata.errors"
    assert type(public).__name__ == engine_class.__name__
    assert (public.message, public.error_code) == ("m", engine_class.code)


def test_the_engine_never_raises_public_classes() -> None:
    assert not any(issubclass(cls, errors.StatusError) for cls in ENGINE_CLASSES)


def test_a_store_error_keeps_the_engine_error_as_its_cause(store: metadata_store.MetadataStore) -> None:
    with pytest.raises(errors.InvalidArgumentError) as raised:
        store.put_artifacts([pb.Artifact()])
    cause = raised.value.__cause__
    assert isinstance(cause, engine_errors.InvalidArgumentError)
    assert cause.message == raised.value.message


def _driver_error(cls: type, text: str) -> sqlite3.Error:
    return cls(text)  # built by hand: no sqlite_errorcode, so the text fallback of Python < 3.11 is what runs


@pytest.mark.parametrize(("error", "engine_class"), [
    pytest.param(_driver_error(sqlite3.DatabaseError, "file is not a database"), engine_errors.DataLossError,
                 id="not-a-database"),
    pytest.param(_driver_error(sqlite3.DatabaseError, "database disk image is malformed"),
                 engine_errors.DataLossError, id="malformed"),
    pytest.param(_driver_error(sqlite3.OperationalError, "no such table: artifact"), engine_errors.DataLossError,
                 id="table-gone"),
    pytest.param(_driver_error(sqlite3.OperationalError, "table artifact has no column named uri"),
                 engine_errors.DataLossError, id="column-gone"),
    pytest.param(_driver_error(sqlite3.OperationalError, "database is locked"), engine_errors.AbortedError,
                 id="locked"),
    pytest.param(_driver_error(sqlite3.OperationalError, "attempt to write a readonly database"),
                 engine_errors.InternalError, id="readonly"),
    pytest.param(_driver_error(sqlite3.OperationalError, "database or disk is full"),
                 engine_errors.ResourceExhaustedError, id="disk-full"),
    pytest.param(_driver_error(sqlite3.OperationalError, "disk I/O error"), engine_errors.UnavailableError,
                 id="io-error"),
    pytest.param(_driver_error(sqlite3.IntegrityError, "UNIQUE constraint failed: artifact.name"),
                 engine_errors.InternalError, id="constraint"),
    pytest.param(_driver_error(sqlite3.ProgrammingError, "Error binding parameter 1"), engine_errors.InternalError,
                 id="misuse"),
])
def test_database_errors_are_classified(error: sqlite3.Error, engine_class: type) -> None:
    classified = SQLITE.classify(error)
    assert type(classified) is engine_class
    assert str(error) in classified.message


def test_real_driver_errors_are_classified_by_result_code(tmp_path) -> None:
    path = tmp_path / "not-a-store.db"
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(sqlite3.DatabaseError) as raised:
        sqlite3.connect(path).execute("SELECT 1 FROM sqlite_master")
    assert type(SQLITE.classify(raised.value)) is engine_errors.DataLossError
