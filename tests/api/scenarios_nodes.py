"""Nodes: insert/update rules, validation, uniqueness, names, full-replacement updates (docs/mlmd-interface.md §2.6)."""
from __future__ import annotations

from typing import Any, Callable

from scenario_kit import (
    Case,
    Json,
    artifact,
    artifact_type,
    catch,
    catch_msg,
    compare,
    context,
    execution,
    new_store,
    pb,
    show,
    store_with_types,
    tick,
)

# -- inserts ------------------------------------------------------------------------------------


def node_ids_start_at_1_per_kind() -> Json:
    s, a, e, c = store_with_types()
    return [s.put_artifacts([artifact(a), artifact(a)]), s.put_executions([execution(e)]),
            s.put_contexts([context(c, name="c1"), context(c, name="c2")])]


def put_empty_lists() -> Json:
    s = new_store()
    return [s.put_artifacts([]), s.put_executions([]), s.put_contexts([])]


def inserted_artifact_read_back() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="gs://x", name="n", state="LIVE", external_id="ext",
                              properties={"p": 1, "s": "v"}, custom_properties={"c": 2.5})])
    return show(s.get_artifacts())


def inserted_execution_read_back() -> Json:
    s, _, e, _ = store_with_types()
    s.put_executions([execution(e, name="run", last_known_state="RUNNING",
                                properties={"p": 3}, custom_properties={"flag": True})])
    return show(s.get_executions())


def inserted_context_read_back() -> Json:
    s, _, _, c = store_with_types()
    s.put_contexts([context(c, name="ctx", external_id="ce", properties={"s": "x"})])
    return show(s.get_contexts())


def minimal_artifact_gets_empty_uri() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    return show(s.get_artifacts_by_id([1]))


def client_timestamps_ignored_on_insert() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, create_time_since_epoch=5, last_update_time_since_epoch=6)])
    got = s.get_artifacts()[0]
    return [got.create_time_since_epoch > 1_000_000_000_000,
            got.create_time_since_epoch == got.last_update_time_since_epoch]


def type_name_field_ignored_on_insert() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, type="Whatever")])
    return show(s.get_artifacts())


def system_metadata_dropped() -> Json:
    s, a, _, _ = store_with_types()
    node = artifact(a)
    node.system_metadata.Pack(pb.Value(int_value=1))
    s.put_artifacts([node])
    return show(s.get_artifacts())


def insert_without_type_id() -> Json:
    s, _, _, _ = store_with_types()
    return [catch_msg("Type id is missing.", s.put_artifacts, [artifact()]),
            catch(s.put_executions, [execution()]),
            catch(s.put_contexts, [context(name="x")])]


def insert_with_unknown_type_id() -> Json:
    s, _, _, _ = store_with_types()
    return [catch(s.put_artifacts, [artifact(99)]), catch(s.put_executions, [execution(99)]),
            catch(s.put_contexts, [context(99, name="x")])]


def insert_with_type_id_of_other_kind() -> Json:
    s, a, e, c = store_with_types()
    return [catch(s.put_artifacts, [artifact(e)]), catch(s.put_executions, [execution(c)]),
            catch(s.put_contexts, [context(a, name="x")])]


def insert_with_builtin_type_id() -> Json:
    s = new_store()
    return [s.put_artifacts([artifact(2)]), show(s.get_artifacts())]


# -- property validation ------------------------------------------------------------------------


def undeclared_property() -> Json:
    s, a, e, c = store_with_types()
    return [catch(s.put_artifacts, [artifact(a, properties={"zzz": 1})]),
            catch(s.put_executions, [execution(e, properties={"zzz": 1})]),
            catch(s.put_contexts, [context(c, name="x", properties={"zzz": 1})])]


def property_wrong_value_kind() -> Json:
    s, a, _, _ = store_with_types()
    return [catch(s.put_artifacts, [artifact(a, properties={"p": "text"})]),
            catch(s.put_artifacts, [artifact(a, properties={"s": 1})]),
            catch(s.put_artifacts, [artifact(a, properties={"p": 1.5})]),
            catch(s.put_artifacts, [artifact(a, properties={"p": True})])]


def property_empty_value() -> Json:
    s, a, _, _ = store_with_types()
    return catch(s.put_artifacts, [artifact(a, properties={"p": pb.Value()})])


def property_empty_value_undeclared() -> Json:
    s, a, _, _ = store_with_types()
    return catch(s.put_artifacts, [artifact(a, properties={"zzz": pb.Value()})])


def update_with_empty_value() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    return catch(s.put_artifacts, [artifact(a, id=1, properties={"p": pb.Value()})])


def custom_property_empty_value() -> Json:
    s, a, _, _ = store_with_types()
    return catch(s.put_artifacts, [artifact(a, custom_properties={"x": pb.Value()})])


def custom_properties_accept_any_kind() -> Json:
    s, a, _, _ = store_with_types()
    proto_value = pb.Value()
    proto_value.proto_value.Pack(pb.Artifact(uri="packed"))
    s.put_artifacts([artifact(a, custom_properties={
        "i": 1, "d": 0.5, "s": "x", "b": False, "st": {"k": [1, "two"]}, "pr": proto_value})])
    return show(s.get_artifacts()[0].custom_properties)


def typed_properties_of_every_kind() -> Json:
    s = new_store()
    t = s.put_execution_type(pb.ExecutionType(name="E", properties={
        "i": pb.INT, "d": pb.DOUBLE, "s": pb.STRING, "st": pb.STRUCT, "b": pb.BOOLEAN}))
    s.put_executions([execution(t, properties={"i": -7, "d": 1e300, "s": "", "st": {"a": None},
                                               "b": True})])
    return show(s.get_executions()[0].properties)


def proto_property_round_trip() -> Json:
    s = new_store()
    t = s.put_context_type(pb.ContextType(name="C", properties={"pr": pb.PROTO}))
    v = pb.Value()
    v.proto_value.Pack(pb.Context(name="inner"))
    s.put_contexts([context(t, name="x", properties={"pr": v})])
    got = s.get_contexts()[0].properties["pr"].proto_value
    inner = pb.Context()
    got.Unpack(inner)
    return [got.type_url, show(inner)]


def struct_value_wrong_declared_kind() -> Json:
    s, a, _, _ = store_with_types()
    return catch(s.put_artifacts, [artifact(a, properties={"s": {"k": 1}})])


def failing_batch_inserts_nothing() -> Json:
    s, a, _, _ = store_with_types()
    outcome = catch(s.put_artifacts, [artifact(a, uri="ok"), artifact(a, properties={"x": 1})])
    return [outcome, show(s.get_artifacts())]


# -- uniqueness and names -----------------------------------------------------------------------


def duplicate_type_and_name() -> Json:
    s, a, e, c = store_with_types()
    s.put_artifacts([artifact(a, name="n")])
    s.put_executions([execution(e, name="n")])
    s.put_contexts([context(c, name="n")])
    return [catch(s.put_artifacts, [artifact(a, name="n")]),
            catch(s.put_executions, [execution(e, name="n")]),
            catch(s.put_contexts, [context(c, name="n")])]


def duplicate_name_within_one_batch() -> Json:
    s, a, _, _ = store_with_types()
    outcome = catch(s.put_artifacts, [artifact(a, name="n"), artifact(a, name="n")])
    return [outcome, show(s.get_artifacts())]


def same_name_different_types_allowed() -> Json:
    s, a, _, _ = store_with_types()
    b = s.put_artifact_type(artifact_type("B"))
    return s.put_artifacts([artifact(a, name="n"), artifact(b, name="n")])


def same_name_across_kinds_allowed() -> Json:
    s = new_store()
    ta = s.put_artifact_type(artifact_type("T"))
    te = s.put_execution_type(pb.ExecutionType(name="T"))
    return [s.put_artifacts([artifact(ta, name="n")]), s.put_executions([execution(te, name="n")])]


def duplicate_external_id_across_types_same_kind() -> Json:
    s, a, _, _ = store_with_types()
    b = s.put_artifact_type(artifact_type("B"))
    s.put_artifacts([artifact(a, external_id="x")])
    return catch(s.put_artifacts, [artifact(b, external_id="x")])


def same_external_id_across_kinds_allowed() -> Json:
    s, a, e, c = store_with_types()
    return [s.put_artifacts([artifact(a, external_id="x")]),
            s.put_executions([execution(e, external_id="x")]),
            s.put_contexts([context(c, name="c", external_id="x")])]


def unset_names_not_unique_checked() -> Json:
    s, a, _, _ = store_with_types()
    return s.put_artifacts([artifact(a), artifact(a), artifact(a)])


def empty_artifact_name_is_a_real_name() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a, name="")])
    s.put_executions([execution(e, name="")])
    return [show(s.get_artifacts()), show(s.get_executions()),
            catch(s.put_artifacts, [artifact(a, name="")]),
            catch(s.put_executions, [execution(e, name="")])]


def context_name_required() -> Json:
    s, _, _, c = store_with_types()
    return [catch(s.put_contexts, [context(c)]), catch(s.put_contexts, [context(c, name="")])]


def context_name_required_message() -> Json:
    s, _, _, c = store_with_types()
    return catch_msg("Cannot create node for type_id: 12Context name should not be empty",
                     s.put_contexts, [context(c)])


def context_rename_on_update() -> Json:
    s, _, _, c = store_with_types()
    [cid] = s.put_contexts([context(c, name="old")])
    s.put_contexts([context(c, id=cid, name="new")])
    return show(s.get_contexts())


def context_update_to_empty_name() -> Json:
    s, _, _, c = store_with_types()
    [cid] = s.put_contexts([context(c, name="old")])
    return [catch(s.put_contexts, [context(c, id=cid, name="")]),
            catch(s.put_contexts, [context(c, id=cid)]), show(s.get_contexts())]


def context_rename_onto_existing_name() -> Json:
    s, _, _, c = store_with_types()
    s.put_contexts([context(c, name="a"), context(c, name="b")])
    return catch(s.put_contexts, [context(c, id=2, name="a")])


def artifact_name_write_once() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a, name="first")])
    s.put_executions([execution(e, name="first")])
    return [s.put_artifacts([artifact(a, id=1, name="second")]),
            s.put_executions([execution(e, id=1, name="second")]),
            show(s.get_artifacts()), show(s.get_executions())]


def artifact_name_unset_then_set_stays_unset() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    s.put_artifacts([artifact(a, id=1, name="late")])
    return show(s.get_artifacts())


def update_without_name_keeps_name() -> Json:
    s, _, e, _ = store_with_types()
    s.put_executions([execution(e, name="keep")])
    s.put_executions([execution(e, id=1)])
    return show(s.get_executions())


# -- updates ------------------------------------------------------------------------------------


def update_missing_id() -> Json:
    s, a, e, c = store_with_types()
    return [catch_msg("Cannot find the given id 5", s.put_artifacts, [artifact(a, id=5)]),
            catch(s.put_executions, [execution(e, id=5)]),
            catch(s.put_contexts, [context(c, id=5, name="x")])]


def update_changes_type_id() -> Json:
    s, a, _, _ = store_with_types()
    b = s.put_artifact_type(artifact_type("B"))
    s.put_artifacts([artifact(a)])
    return catch(s.put_artifacts, [artifact(b, id=1)])


def update_without_type_id() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="one")])
    return [s.put_artifacts([artifact(id=1, uri="two")]), show(s.get_artifacts())]


def update_is_full_replacement() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="u", state="LIVE", external_id="x",
                              properties={"p": 1, "s": "s"}, custom_properties={"c": 1})])
    s.put_artifacts([artifact(a, id=1, properties={"p": 2})])
    return show(s.get_artifacts())


def execution_update_clears_state() -> Json:
    s, _, e, _ = store_with_types()
    s.put_executions([execution(e, last_known_state="COMPLETE", custom_properties={"c": 1})])
    s.put_executions([execution(e, id=1, custom_properties={"d": 2})])
    return show(s.get_executions())


def context_update_replaces_properties() -> Json:
    s, _, _, c = store_with_types()
    s.put_contexts([context(c, name="n", external_id="x", properties={"p": 1})])
    s.put_contexts([context(c, id=1, name="n", custom_properties={"q": "v"})])
    return show(s.get_contexts())


def mixed_insert_and_update_batch() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="one")])
    return [s.put_artifacts([artifact(a, uri="new"), artifact(a, id=1, uri="changed")]),
            show(s.get_artifacts())]


def update_to_taken_external_id() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, external_id="x"), artifact(a, external_id="y")])
    return catch(s.put_artifacts, [artifact(a, id=2, external_id="x")])


def update_validates_properties() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    return catch(s.put_artifacts, [artifact(a, id=1, properties={"p": "not-int"})])


def failing_update_batch_changes_nothing() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="orig")])
    outcome = catch(s.put_artifacts, [artifact(a, id=1, uri="changed"), artifact(a, id=9)])
    return [outcome, show(s.get_artifacts())]




# -- field masks --------------------------------------------------------------------------------


def _masked(mask: list, request_fields: dict, kind: str = "artifact") -> Json:
    """Stores one node with p=1, s='a', custom c=1/d=2, then updates id 1 under `mask`."""
    s, a, e, c = store_with_types()
    base = {"properties": {"p": 1, "s": "a"}, "custom_properties": {"c": 1, "d": 2}}
    if kind == "artifact":
        s.put_artifacts([artifact(a, uri="u", state="LIVE", name="n", external_id="x", **base)])
        outcome = catch(s.put_artifacts, [artifact(a, id=1, **request_fields)], mask)
        return [outcome, show(s.get_artifacts())]
    if kind == "execution":
        s.put_executions([execution(e, last_known_state="NEW", name="n", **base)])
        outcome = catch(s.put_executions, [execution(e, id=1, **request_fields)], mask)
        return [outcome, show(s.get_executions())]
    s.put_contexts([context(c, name="n", external_id="x", **base)])
    outcome = catch(s.put_contexts, [context(c, id=1, **request_fields)], mask)
    return [outcome, show(s.get_contexts())]


def mask_uri_only() -> Json:
    return _masked(["uri"], {"uri": "v", "properties": {"p": 9}})


def mask_property_entry_set() -> Json:
    return _masked(["properties.p"], {"properties": {"p": 5, "s": "ignored"}})


def mask_property_entry_absent_deletes() -> Json:
    return _masked(["properties.s"], {})


def mask_custom_property_entry_new_key() -> Json:
    return _masked(["custom_properties.new"], {"custom_properties": {"new": "x", "c": 7}})


def mask_whole_custom_map_replaced() -> Json:
    return _masked(["custom_properties"], {"custom_properties": {"z": 0}})


def mask_whole_properties_map_cleared() -> Json:
    return _masked(["properties"], {}, kind="execution")


def mask_external_id_absent_clears() -> Json:
    return _masked(["external_id"], {"uri": "ignored"})


def mask_state_and_uri() -> Json:
    return _masked(["state", "uri"], {"state": "DELETED"})


def mask_execution_state() -> Json:
    return _masked(["last_known_state"], {"last_known_state": "COMPLETE", "name": "other"},
                   kind="execution")


def mask_unknown_path_ignored() -> Json:
    return _masked(["no_such_field"], {"uri": "v"})


def mask_unknown_and_known_paths() -> Json:
    return _masked(["no_such_field", "uri", "properties.nope"], {"uri": "v"})


def mask_name_on_artifact_is_noop() -> Json:
    return _masked(["name"], {"name": "renamed"})


def mask_name_on_context_renames() -> Json:
    return _masked(["name"], {"name": "renamed"}, kind="context")


def mask_context_without_name_in_request() -> Json:
    return _masked(["custom_properties.c"], {}, kind="context")


def mask_id_and_type_id_paths_ignored() -> Json:
    return _masked(["id", "type_id", "create_time_since_epoch"], {"uri": "v"})


def mask_type_id_mismatch_still_rejected() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    return catch(s.put_artifacts, [artifact(a + 100, id=1, uri="v")], ["uri"])


def mask_ignored_on_insert() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="u", properties={"p": 1})], ["custom_properties"])
    return show(s.get_artifacts())


def mask_update_of_missing_id() -> Json:
    s, a, _, _ = store_with_types()
    return catch(s.put_artifacts, [artifact(a, id=3, uri="v")], ["uri"])


def mask_validates_masked_property() -> Json:
    return _masked(["properties.p"], {"properties": {"p": "wrong-kind"}})


def mask_undeclared_property_entry() -> Json:
    return _masked(["properties.zzz"], {"properties": {"zzz": 1}})


def mask_reads_only_masked_fields() -> Json:
    # Outside the mask nothing of the request is read: empty Values (of a declared, an undeclared or a custom
    # property), undeclared properties and values of the wrong kind are all ignored.
    return _masked(["uri"], {"uri": "v", "properties": {"s": pb.Value(), "zzz": pb.Value(), "p": "wrong-kind"},
                             "custom_properties": {"e": pb.Value()}})


def mask_empty_value_inside_mask() -> Json:
    return _masked(["properties.s"], {"properties": {"s": pb.Value()}}, kind="context")


def empty_mask_means_full_replacement() -> Json:
    return _masked([], {"uri": "v"})


# -- timestamps and no-op detection -------------------------------------------------------------


def insert_times_equal() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    got = s.get_artifacts()[0]
    return compare(got.create_time_since_epoch, got.last_update_time_since_epoch)


def _update_times(kind: str, change: Callable[[Any, Any], None]) -> list:
    """[create vs create, last_update vs last_update] after `change(store, stored_node)`."""
    s, a, e, c = store_with_types()
    put, get = getattr(s, f"put_{kind}s"), getattr(s, f"get_{kind}s")
    put([{"artifact": artifact(a, uri="u", custom_properties={"k": 1}),
          "execution": execution(e, custom_properties={"k": 1}),
          "context": context(c, name="n", custom_properties={"k": 1})}[kind]])
    before = get()[0]
    tick()
    change(put, before)
    after = get()[0]
    return [compare(before.create_time_since_epoch, after.create_time_since_epoch),
            compare(before.last_update_time_since_epoch, after.last_update_time_since_epoch)]


def _put_copy(edit: Callable[[Any], None] | None = None,
              mask: list | None = None) -> Callable[[Any, Any], None]:
    def change(put: Any, stored: Any) -> None:
        node = type(stored)()
        node.CopyFrom(stored)
        if edit:
            edit(node)
        put([node], mask)
    return change


def _clear_times(node: Any) -> None:
    node.ClearField("create_time_since_epoch")
    node.ClearField("last_update_time_since_epoch")


def update_with_change_bumps_update_time() -> Json:
    return _update_times("artifact", _put_copy(lambda n: setattr(n, "uri", "v")))


def update_with_read_back_message_is_noop() -> Json:
    return _update_times("artifact", _put_copy())


def update_with_read_back_without_times_is_noop() -> Json:
    return _update_times("execution", _put_copy(_clear_times))


def update_without_type_field_bumps() -> Json:
    return _update_times("context", _put_copy(lambda n: n.ClearField("type")))


def update_with_stale_times_is_noop() -> Json:
    def edit(n: Any) -> None:
        n.last_update_time_since_epoch = 1
        n.create_time_since_epoch = 1
    return _update_times("artifact", _put_copy(edit))


def masked_update_same_value() -> Json:
    return _update_times("artifact", _put_copy(mask=["uri"]))


def masked_update_new_value_bumps() -> Json:
    return _update_times("execution", _put_copy(
        lambda n: n.custom_properties["k"].CopyFrom(pb.Value(int_value=2)),
        mask=["custom_properties.k"]))


def failed_update_keeps_times() -> Json:
    def change(put: Any, stored: Any) -> None:
        node = type(stored)()
        node.CopyFrom(stored)
        node.properties["zzz"].int_value = 1
        catch(put, [node])
    return _update_times("context", change)


# What `_masked` stores before the masked update, as read back.
_P = {"p": {"int_value": 1}, "s": {"string_value": "a"}}
_CP = {"c": {"int_value": 1}, "d": {"int_value": 2}}
_A = {"id": 1, "type_id": 10, "uri": "u", "properties": _P, "custom_properties": _CP,
      "state": "LIVE", "name": "n", "type": "A", "external_id": "x"}
_E = {"id": 1, "type_id": 11, "last_known_state": "NEW", "properties": _P,
      "custom_properties": _CP, "name": "n", "type": "E"}
_C = {"id": 1, "type_id": 12, "name": "n", "properties": _P, "custom_properties": _CP,
      "type": "C", "external_id": "x"}


CASES = [
    Case("node-ids-start-at-1-per-kind", node_ids_start_at_1_per_kind, [[1, 2], [1], [1, 2]]),
    Case("put-empty-lists", put_empty_lists, [[], [], []]),
    Case("inserted-artifact-read-back", inserted_artifact_read_back, [{
        "id": 1, "type_id": 10, "uri": "gs://x", "properties": {
            "p": {"int_value": 1}, "s": {"string_value": "v"}},
        "custom_properties": {"c": {"double_value": 2.5}}, "state": "LIVE", "name": "n",
        "type": "A", "external_id": "ext"}]),
    Case("inserted-execution-read-back", inserted_execution_read_back, [{
        "id": 1, "type_id": 11, "last_known_state": "RUNNING",
        "properties": {"p": {"int_value": 3}},
        "custom_properties": {"flag": {"bool_value": True}}, "name": "run", "type": "E"}]),
    Case("inserted-context-read-back", inserted_context_read_back, [{
        "id": 1, "type_id": 12, "name": "ctx", "properties": {"s": {"string_value": "x"}},
        "type": "C", "external_id": "ce"}]),
    Case("minimal-artifact-gets-empty-uri", minimal_artifact_gets_empty_uri,
         [{"id": 1, "type_id": 10, "uri": "", "type": "A"}]),
    Case("client-timestamps-ignored-on-insert", client_timestamps_ignored_on_insert,
         [True, True]),
    Case("type-name-field-ignored-on-insert", type_name_field_ignored_on_insert,
         [{"id": 1, "type_id": 10, "uri": "", "type": "A"}]),
    Case("system-metadata-dropped", system_metadata_dropped,
         [{"id": 1, "type_id": 10, "uri": "", "type": "A"}]),
    Case("insert-without-type-id", insert_without_type_id, [
        ["error", "InvalidArgumentError", "Type id is missing."],
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"]]),
    Case("insert-with-unknown-type-id", insert_with_unknown_type_id, [
        ["error", "NotFoundError"], ["error", "NotFoundError"], ["error", "NotFoundError"]]),
    Case("insert-with-type-id-of-other-kind", insert_with_type_id_of_other_kind, [
        ["error", "NotFoundError"], ["error", "NotFoundError"], ["error", "NotFoundError"]]),
    Case("insert-with-builtin-type-id", insert_with_builtin_type_id,
         [[1], [{"id": 1, "type_id": 2, "uri": "", "type": "mlmd.Model"}]]),
    Case("undeclared-property", undeclared_property, [
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"],
        ["error", "InvalidArgumentError"]]),
    Case("property-wrong-value-kind", property_wrong_value_kind, [
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"],
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"]]),
    Case("property-empty-value", property_empty_value, ["error", "InvalidArgumentError"]),
    # An empty Value of an undeclared property is an unknown property, as any value of it would be.
    Case("property-empty-value-undeclared", property_empty_value_undeclared, ["error", "InvalidArgumentError"]),
    Case("update-with-empty-value", update_with_empty_value, ["error", "InvalidArgumentError"]),
    Case("custom-property-empty-value", custom_property_empty_value,
         ["error", "InvalidArgumentError"], oracle=False,
         why="ml-metadata 1.17.1 aborts the whole process (C++ CHECK 'Unexpected oneof') on an "
             "empty custom property Value; we reject it like an empty declared property"),
    Case("custom-properties-accept-any-kind", custom_properties_accept_any_kind, {
        "b": {"bool_value": False}, "d": {"double_value": 0.5}, "i": {"int_value": 1},
        "pr": {"proto_value": {"type_url": "type.googleapis.com/ml_metadata.Artifact",
                               "value": "GgZwYWNrZWQ="}},
        "s": {"string_value": "x"},
        "st": {"struct_value": {"fields": {"k": {"list_value": {"values": [
            {"number_value": 1.0}, {"string_value": "two"}]}}}}}}),
    Case("typed-properties-of-every-kind", typed_properties_of_every_kind, {
        "b": {"bool_value": True}, "d": {"double_value": 1e300}, "i": {"int_value": -7},
        "s": {"string_value": ""},
        "st": {"struct_value": {"fields": {"a": {"null_value": "NULL_VALUE"}}}}}),
    Case("proto-property-round-trip", proto_property_round_trip,
         ["type.googleapis.com/ml_metadata.Context", {"name": "inner"}]),
    Case("struct-value-for-string-property", struct_value_wrong_declared_kind,
         ["error", "InvalidArgumentError"]),
    Case("failing-insert-batch-inserts-nothing", failing_batch_inserts_nothing,
         [["error", "InvalidArgumentError"], []]),
    Case("duplicate-type-and-name", duplicate_type_and_name, [
        ["error", "AlreadyExistsError"], ["error", "AlreadyExistsError"],
        ["error", "AlreadyExistsError"]]),
    Case("duplicate-name-within-one-batch", duplicate_name_within_one_batch,
         [["error", "AlreadyExistsError"], []]),
    Case("same-name-different-types-allowed", same_name_different_types_allowed, [1, 2]),
    Case("same-name-across-kinds-allowed", same_name_across_kinds_allowed, [[1], [1]]),
    Case("duplicate-external-id-across-types-same-kind",
         duplicate_external_id_across_types_same_kind, ["error", "AlreadyExistsError"]),
    Case("same-external-id-across-kinds-allowed", same_external_id_across_kinds_allowed,
         [[1], [1], [1]]),
    Case("unset-names-not-unique-checked", unset_names_not_unique_checked, [1, 2, 3]),
    Case("empty-artifact-name-is-a-real-name", empty_artifact_name_is_a_real_name, [
        [{"id": 1, "type_id": 10, "uri": "", "name": "", "type": "A"}],
        [{"id": 1, "type_id": 11, "name": "", "type": "E"}],
        ["error", "AlreadyExistsError"], ["error", "AlreadyExistsError"]]),
    Case("context-name-required", context_name_required,
         [["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"]]),
    Case("context-name-required-message", context_name_required_message,
         ["error", "InvalidArgumentError",
          "Cannot create node for type_id: 12Context name should not be empty"]),
    Case("context-rename-on-update", context_rename_on_update,
         [{"id": 1, "type_id": 12, "name": "new", "type": "C"}]),
    Case("context-update-to-empty-name", context_update_to_empty_name, [
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"],
        [{"id": 1, "type_id": 12, "name": "old", "type": "C"}]]),
    # Spec 2.6 says AlreadyExistsError; a uniqueness clash on *update* surfaces as InternalError.
    Case("context-rename-onto-existing-name", context_rename_onto_existing_name,
         ["error", "InternalError"]),
    Case("artifact-and-execution-names-write-once", artifact_name_write_once, [
        [1], [1], [{"id": 1, "type_id": 10, "uri": "", "name": "first", "type": "A"}],
        [{"id": 1, "type_id": 11, "name": "first", "type": "E"}]]),
    Case("artifact-name-unset-then-set-stays-unset", artifact_name_unset_then_set_stays_unset,
         [{"id": 1, "type_id": 10, "uri": "", "type": "A"}]),
    Case("update-without-name-keeps-name", update_without_name_keeps_name,
         [{"id": 1, "type_id": 11, "name": "keep", "type": "E"}]),
    Case("update-missing-id", update_missing_id, [
        ["error", "InvalidArgumentError", "Cannot find the given id 5"],
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"]]),
    Case("update-changes-type-id", update_changes_type_id, ["error", "InvalidArgumentError"]),
    Case("update-without-type-id", update_without_type_id,
         [[1], [{"id": 1, "type_id": 10, "uri": "two", "type": "A"}]]),
    Case("update-is-full-replacement", update_is_full_replacement, [
        {"id": 1, "type_id": 10, "uri": "", "properties": {"p": {"int_value": 2}}, "type": "A"}]),
    Case("execution-update-clears-state", execution_update_clears_state, [
        {"id": 1, "type_id": 11, "custom_properties": {"d": {"int_value": 2}}, "type": "E"}]),
    Case("context-update-replaces-properties", context_update_replaces_properties, [
        {"id": 1, "type_id": 12, "name": "n", "custom_properties": {"q": {"string_value": "v"}},
         "type": "C"}]),
    Case("mixed-insert-and-update-batch", mixed_insert_and_update_batch, [
        [2, 1], [{"id": 1, "type_id": 10, "uri": "changed", "type": "A"},
                 {"id": 2, "type_id": 10, "uri": "new", "type": "A"}]]),
    Case("update-to-taken-external-id", update_to_taken_external_id,
         ["error", "InternalError"]),
    Case("update-validates-properties", update_validates_properties,
         ["error", "InvalidArgumentError"]),
    Case("failing-update-batch-changes-nothing", failing_update_batch_changes_nothing, [
        ["error", "InvalidArgumentError"], [{"id": 1, "type_id": 10, "uri": "orig", "type": "A"}]]),
    Case("mask-uri-only", mask_uri_only, [[1], [{**_A, "uri": "v"}]]),
    Case("mask-property-entry-set", mask_property_entry_set,
         [[1], [{**_A, "properties": {**_P, "p": {"int_value": 5}}}]]),
    Case("mask-property-entry-absent-deletes", mask_property_entry_absent_deletes,
         [[1], [{**_A, "properties": {"p": {"int_value": 1}}}]]),
    Case("mask-custom-property-entry-new-key", mask_custom_property_entry_new_key,
         [[1], [{**_A, "custom_properties": {**_CP, "new": {"string_value": "x"}}}]]),
    Case("mask-whole-custom-map-replaced", mask_whole_custom_map_replaced,
         [[1], [{**_A, "custom_properties": {"z": {"int_value": 0}}}]]),
    Case("mask-whole-properties-map-cleared", mask_whole_properties_map_cleared,
         [[1], [{k: v for k, v in _E.items() if k != "properties"}]]),
    Case("mask-external-id-absent-clears", mask_external_id_absent_clears,
         [[1], [{k: v for k, v in _A.items() if k != "external_id"}]]),
    Case("mask-state-and-uri", mask_state_and_uri,
         [[1], [{**_A, "uri": "", "state": "DELETED"}]]),
    Case("mask-execution-state", mask_execution_state,
         [[1], [{**_E, "last_known_state": "COMPLETE"}]]),
    Case("mask-unknown-path-ignored", mask_unknown_path_ignored, [[1], [_A]]),
    Case("mask-unknown-and-known-paths", mask_unknown_and_known_paths,
         [[1], [{**_A, "uri": "v"}]]),
    Case("mask-name-on-artifact-is-noop", mask_name_on_artifact_is_noop, [[1], [_A]]),
    Case("mask-name-on-context-renames", mask_name_on_context_renames,
         [[1], [{**_C, "name": "renamed"}]]),
    Case("mask-context-update-without-name", mask_context_without_name_in_request,
         [[1], [{**_C, "custom_properties": {"d": {"int_value": 2}}}]]),
    Case("mask-id-type-id-and-time-paths-ignored", mask_id_and_type_id_paths_ignored,
         [[1], [_A]]),
    Case("mask-type-id-mismatch-still-rejected", mask_type_id_mismatch_still_rejected,
         ["error", "InvalidArgumentError"]),
    Case("mask-ignored-on-insert", mask_ignored_on_insert, [
        {"id": 1, "type_id": 10, "uri": "u", "properties": {"p": {"int_value": 1}},
         "type": "A"}]),
    Case("mask-update-of-missing-id", mask_update_of_missing_id,
         ["error", "InvalidArgumentError"]),
    Case("mask-validates-masked-property", mask_validates_masked_property,
         [["error", "InvalidArgumentError"], [_A]]),
    Case("mask-undeclared-property-entry", mask_undeclared_property_entry,
         [["error", "InvalidArgumentError"], [_A]]),
    Case("mask-reads-only-masked-fields", mask_reads_only_masked_fields, [[1], [{**_A, "uri": "v"}]]),
    Case("mask-empty-value-inside-mask", mask_empty_value_inside_mask, [["error", "InvalidArgumentError"], [_C]]),
    Case("empty-mask-means-full-replacement", empty_mask_means_full_replacement,
         [[1], [{"id": 1, "type_id": 10, "uri": "v", "name": "n", "type": "A"}]]),
    Case("insert-create-and-update-times-equal", insert_times_equal, "equal"),
    Case("update-with-change-bumps-update-time", update_with_change_bumps_update_time,
         ["equal", "greater"]),
    Case("update-with-read-back-message-is-noop", update_with_read_back_message_is_noop,
         ["equal", "equal"]),
    Case("update-with-read-back-without-times-is-noop",
         update_with_read_back_without_times_is_noop, ["equal", "equal"]),
    Case("update-without-type-field-bumps", update_without_type_field_bumps,
         ["equal", "greater"]),
    Case("update-with-stale-client-times-is-noop", update_with_stale_times_is_noop,
         ["equal", "equal"]),
    Case("masked-update-same-value", masked_update_same_value, ["equal", "equal"]),
    Case("masked-update-new-value-bumps", masked_update_new_value_bumps, ["equal", "greater"]),
    Case("failed-update-keeps-times", failed_update_keeps_times, ["equal", "equal"]),
]
