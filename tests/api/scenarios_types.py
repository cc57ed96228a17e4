"""Types: creation, ids, built-ins, evolution, versions, base types, external ids (docs/mlmd-interface.md §2.5)."""
from __future__ import annotations


from scenario_kit import (
    Case,
    Json,
    artifact_type,
    catch,
    catch_msg,
    context_type,
    execution_type,
    ids,
    names,
    new_store,
    pb,
    show,
)

# -- ids and built-ins --------------------------------------------------------------------------


def first_user_type_id() -> Json:
    return new_store().put_artifact_type(artifact_type("A"))


def type_ids_shared_across_kinds() -> Json:
    s = new_store()
    return [
        s.put_context_type(context_type("C")),
        s.put_artifact_type(artifact_type("A")),
        s.put_execution_type(execution_type("E")),
    ]


def fresh_store_lists_no_types() -> Json:
    s = new_store()
    return [show(s.get_artifact_types()), show(s.get_execution_types()),
            show(s.get_context_types())]


def builtin_artifact_types_by_id() -> Json:
    return show(new_store().get_artifact_types_by_id(range(1, 12)))


def builtin_execution_types_by_id() -> Json:
    return show(new_store().get_execution_types_by_id(range(1, 12)))


def no_builtin_context_types() -> Json:
    return show(new_store().get_context_types_by_id(range(1, 12)))


def builtin_names_are_free_for_listing() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("A"))
    return names(s.get_artifact_types())


def builtin_type_fetched_by_name() -> Json:
    return show(new_store().get_artifact_type("mlmd.Model"))


def types_by_id_input_order_duplicates_kept() -> Json:
    s = new_store()
    a1 = s.put_artifact_type(artifact_type("A1"))
    e = s.put_execution_type(execution_type("E"))
    a2 = s.put_artifact_type(artifact_type("A2"))
    return ids(s.get_artifact_types_by_id([a2, e, a1, a2, 999]))


def types_by_id_empty_input() -> Json:
    return show(new_store().get_artifact_types_by_id([]))


# -- put_*_type ---------------------------------------------------------------------------------


def put_same_type_twice_same_id() -> Json:
    s = new_store()
    return [s.put_artifact_type(artifact_type("A", props={"p": "INT"})),
            s.put_artifact_type(artifact_type("A", props={"p": "INT"}))]


def put_type_without_name() -> Json:
    return catch_msg("No type name is specified.", new_store().put_artifact_type,
                     artifact_type())


def put_execution_type_without_name() -> Json:
    return catch(new_store().put_execution_type, execution_type())


def put_context_type_without_name() -> Json:
    return catch(new_store().put_context_type, context_type())


def put_type_with_unknown_property_type() -> Json:
    return catch(new_store().put_artifact_type, artifact_type("A", props={"p": "UNKNOWN"}))


def all_property_types_round_trip() -> Json:
    s = new_store()
    props = {"i": "INT", "d": "DOUBLE", "s": "STRING", "st": "STRUCT", "pr": "PROTO",
             "b": "BOOLEAN"}
    s.put_artifact_type(artifact_type("A", props=props))
    return show(s.get_artifact_type("A"))


def same_name_in_each_kind() -> Json:
    s = new_store()
    return [s.put_artifact_type(artifact_type("X")), s.put_execution_type(execution_type("X")),
            s.put_context_type(context_type("X")), names(s.get_artifact_types()),
            names(s.get_execution_types()), names(s.get_context_types())]


def type_listing_order_is_by_id() -> Json:
    s = new_store()
    for name in ["b", "a", "c"]:
        s.put_context_type(context_type(name))
    return [[t.id, t.name] for t in s.get_context_types()]


def request_id_ignored_wrong_id_resolves_by_name() -> Json:
    s = new_store()
    first = s.put_artifact_type(artifact_type("A"))
    return [first, s.put_artifact_type(artifact_type("A", id=777))]


def request_id_ignored_existing_id_new_name_creates() -> Json:
    s = new_store()
    first = s.put_artifact_type(artifact_type("A"))
    second = s.put_artifact_type(artifact_type("B", id=first))
    return [first, second, names(s.get_artifact_types())]


# -- evolution ----------------------------------------------------------------------------------


def _evolve(kind: str, request_props: dict, **flags: bool) -> Json:
    builders = {"artifact": artifact_type, "execution": execution_type, "context": context_type}
    s = new_store()
    put = getattr(s, f"put_{kind}_type")
    put(builders[kind]("T", props={"a": "INT", "b": "STRING"}))
    outcome = catch(put, builders[kind]("T", props=request_props), **flags)
    return [outcome, show(getattr(s, f"get_{kind}_type")("T"))]


def add_field_without_flag() -> Json:
    return _evolve("artifact", {"a": "INT", "b": "STRING", "c": "DOUBLE"})


def add_field_with_flag() -> Json:
    return _evolve("artifact", {"a": "INT", "b": "STRING", "c": "DOUBLE"}, can_add_fields=True)


def omit_field_without_flag() -> Json:
    return _evolve("execution", {"a": "INT"})


def omit_field_with_flag_keeps_stored_property() -> Json:
    return _evolve("execution", {"a": "INT"}, can_omit_fields=True)


def omit_all_fields_with_flag() -> Json:
    return _evolve("context", {}, can_omit_fields=True)


def change_property_type_rejected_even_with_flags() -> Json:
    return _evolve("context", {"a": "STRING", "b": "STRING"}, can_add_fields=True,
                   can_omit_fields=True)


def add_and_omit_together() -> Json:
    return _evolve("artifact", {"a": "INT", "z": "BOOLEAN"}, can_add_fields=True,
                   can_omit_fields=True)


def add_and_omit_with_only_add_flag() -> Json:
    return _evolve("artifact", {"a": "INT", "z": "BOOLEAN"}, can_add_fields=True)


_DIFFER = "Type already exists with different properties: "


def _evolve_message(prefix: str, request_props: dict) -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", props={"a": "INT", "b": "STRING"}))
    return catch_msg(prefix, s.put_artifact_type, artifact_type("T", props=request_props))


def evolve_omitted_reported_before_new() -> Json:
    return _evolve_message(_DIFFER + "can_omit_fields is false while stored type has more properties",
                           {"a": "INT", "z": "INT"})


def evolve_omitted_reported_before_conflict() -> Json:
    return _evolve_message(_DIFFER + "can_omit_fields is false while stored type has more properties",
                           {"b": "INT"})


def evolve_conflict_reported_before_new() -> Json:
    # "0" sorts before the conflicting "b": the order is by kind of problem, not by property name.
    return _evolve_message(_DIFFER + "Conflicting property value type found in stored and given types",
                           {"0": "INT", "a": "INT", "b": "INT"})


def evolution_error_message() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", props={"a": "INT"}))
    return catch_msg("Type already exists with different properties", s.put_artifact_type,
                     artifact_type("T", props={"a": "DOUBLE"}))


def description_frozen_at_creation() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", description="first"))
    s.put_artifact_type(artifact_type("T", description="second"))
    s.put_artifact_type(artifact_type("T"))
    return show(s.get_artifact_type("T"))


def description_not_added_later() -> Json:
    s = new_store()
    s.put_execution_type(execution_type("T"))
    s.put_execution_type(execution_type("T", description="late"))
    return show(s.get_execution_type("T"))


# -- versions -----------------------------------------------------------------------------------


def versions_are_distinct_types() -> Json:
    s = new_store()
    return [s.put_artifact_type(artifact_type("T")),
            s.put_artifact_type(artifact_type("T", version="v1")),
            s.put_artifact_type(artifact_type("T", version="v2")),
            s.put_artifact_type(artifact_type("T", version="v1"))]


def get_type_by_version() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", props={"a": "INT"}))
    s.put_artifact_type(artifact_type("T", version="v1", props={"b": "INT"}))
    return [show(s.get_artifact_type("T", "v1")), show(s.get_artifact_type("T")),
            show(s.get_artifact_type("T", ""))]


def missing_version_not_found() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", version="v1"))
    return [catch(s.get_artifact_type, "T"), catch(s.get_artifact_type, "T", "v2")]


def empty_version_equals_unset() -> Json:
    s = new_store()
    return [s.put_context_type(context_type("T")),
            s.put_context_type(context_type("T", version="")),
            show(s.get_context_type("T"))]


def listing_includes_all_versions() -> Json:
    s = new_store()
    s.put_execution_type(execution_type("T", version="v2"))
    s.put_execution_type(execution_type("T"))
    s.put_execution_type(execution_type("U", version="v1"))
    return [[t.name, t.version] for t in s.get_execution_types()]


def versions_evolve_independently() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", version="v1", props={"a": "INT"}))
    s.put_artifact_type(artifact_type("T", version="v2", props={"a": "STRING"}))
    return catch(s.put_artifact_type, artifact_type("T", version="v1", props={"a": "STRING"}))


def get_type_missing() -> Json:
    return catch_msg("No type found", new_store().get_artifact_type, "nope")


def get_type_wrong_kind() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T"))
    return [catch(s.get_execution_type, "T"), catch(s.get_context_type, "T")]


# -- base types, struct types -------------------------------------------------------------------


def base_type_recorded() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", base_type="MODEL"))
    s.put_execution_type(execution_type("E", base_type="TRAIN"))
    return [show(s.get_artifact_type("T")), show(s.get_execution_type("E"))]


def base_type_change_unimplemented() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", base_type="MODEL"))
    return catch_msg("base_type update is not supported yet", s.put_artifact_type,
                     artifact_type("T", base_type="DATASET"))


def base_type_same_value_again() -> Json:
    s = new_store()
    first = s.put_artifact_type(artifact_type("T", base_type="MODEL"))
    return [first, catch(s.put_artifact_type, artifact_type("T", base_type="MODEL"))]


def base_type_unset_on_reput_keeps_it() -> Json:
    s = new_store()
    s.put_execution_type(execution_type("E", base_type="DEPLOY"))
    s.put_execution_type(execution_type("E"))
    return show(s.get_execution_type("E"))


def base_type_set_on_reput_of_untyped() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T"))
    outcome = catch(s.put_artifact_type, artifact_type("T", base_type="DATASET"))
    return [outcome, show(s.get_artifact_type("T"))]


def execution_type_struct_types_round_trip() -> Json:
    s = new_store()
    t = execution_type("E")
    t.input_type.dict.properties["x"].simple.CopyFrom(artifact_type("M"))
    t.output_type.list.element.none.SetInParent()
    s.put_execution_type(t)
    return show(s.get_execution_type("E"))


def struct_types_frozen_at_creation() -> Json:
    s = new_store()
    s.put_execution_type(execution_type("E", input_type=pb.ArtifactStructType(
        any=pb.AnyArtifactStructType())))
    s.put_execution_type(execution_type("E", input_type=pb.ArtifactStructType(
        none=pb.NoneArtifactStructType())))
    return show(s.get_execution_type("E"))


# -- external ids -------------------------------------------------------------------------------


def external_id_round_trip_by_name_and_id() -> Json:
    s = new_store()
    tid = s.put_artifact_type(artifact_type("T", external_id="ext"))
    return [show(s.get_artifact_type("T")), show(s.get_artifact_types_by_id([tid]))]


def listing_omits_external_id() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", external_id="ext"))
    s.put_context_type(context_type("C", external_id="cext"))
    return [show(s.get_artifact_types()), show(s.get_context_types())]


def external_id_follows_latest_put() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", external_id="one"))
    s.put_artifact_type(artifact_type("T", external_id="two"))
    return [show(s.get_artifact_type("T")),
            catch(s.get_artifact_types_by_external_ids, ["one"])]


def external_id_kept_when_absent_on_reput() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T", external_id="one"))
    s.put_artifact_type(artifact_type("T"))
    return show(s.get_artifact_type("T"))


def external_id_duplicate_same_kind() -> Json:
    s = new_store()
    s.put_execution_type(execution_type("E1", external_id="x"))
    return catch(s.put_execution_type, execution_type("E2", external_id="x"))


def external_id_duplicate_same_kind_each_kind() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("A1", external_id="a"))
    s.put_context_type(context_type("C1", external_id="c"))
    return [catch_msg("Conflict of external_id: a Found already existing Artifact type with the same "
                      "external_id", s.put_artifact_type, artifact_type("A2", external_id="a")),
            catch_msg("Conflict of external_id: c Found already existing Context type with the same external_id",
                      s.put_context_type, context_type("C2", external_id="c"))]


def external_id_duplicate_across_kinds() -> Json:
    s = new_store()
    s.put_execution_type(execution_type("E1", external_id="x"))
    return [catch(s.put_artifact_type, artifact_type("A", external_id="x")),
            catch(s.put_context_type, context_type("C", external_id="x"))]


def external_id_taken_on_update() -> Json:
    # A stored type moved to an external_id another type holds: MLMD's UPDATE hits the UNIQUE index and it
    # reports the raw error (INTERNAL), whatever the holder's kind, as it does for nodes.
    s = new_store()
    s.put_artifact_type(artifact_type("Held", external_id="x"))
    s.put_artifact_type(artifact_type("A"))
    s.put_context_type(context_type("C"))
    taken = "Error when executing query: UNIQUE constraint failed: Type.external_id"
    return [catch_msg(taken, s.put_artifact_type, artifact_type("A", external_id="x")),
            catch_msg(taken, s.put_context_type, context_type("C", external_id="x")),
            show(s.get_artifact_type("A")), show(s.get_context_type("C"))]


def put_type_reports_the_first_fault() -> Json:
    # A request with several faults reports the first MLMD checks. A stored type: the change the flags do not
    # allow, then a new property of kind UNKNOWN, then a taken external_id, then a changed base_type. A new
    # type: a taken external_id, then a property of kind UNKNOWN.
    s = new_store()
    s.put_artifact_type(artifact_type("D", props={"a": "INT"}, base_type="DATASET"))
    s.put_artifact_type(artifact_type("X", external_id="x"))
    added = {"a": "INT", "u": "UNKNOWN"}
    return [
        catch(s.put_artifact_type, artifact_type("D", props=added)),
        catch(s.put_artifact_type, artifact_type("D", props={"u": "UNKNOWN"}), can_add_fields=True),
        catch(s.put_artifact_type, artifact_type("D", props={"a": "UNKNOWN"}), can_add_fields=True),
        catch_msg("Property:u type should not be UNKNOWN.", s.put_artifact_type,
                  artifact_type("D", props=added, external_id="x", base_type="MODEL"), can_add_fields=True),
        catch(s.put_artifact_type, artifact_type("D", props={"a": "INT"}, external_id="x", base_type="MODEL")),
        catch(s.put_artifact_type, artifact_type("D", props={"a": "INT"}, base_type="MODEL")),
        catch(s.put_artifact_type, artifact_type("N", props={"u": "UNKNOWN"}, external_id="x")),
        catch_msg("Property u is UNKNOWN.", s.put_artifact_type, artifact_type("N", props={"u": "UNKNOWN"})),
        show(s.get_artifact_type("D")),
    ]


def types_by_external_ids_found() -> Json:
    s = new_store()
    s.put_context_type(context_type("C1", external_id="c1"))
    s.put_context_type(context_type("C2", external_id="c2"))
    return show(s.get_context_types_by_external_ids(["c2", "c1"]))


def types_by_external_ids_order_and_shape() -> Json:
    s = new_store()
    # Names, ids and external ids each sort differently; "10" < "9" < "B" < "b" < "é" byte-wise.
    s.put_artifact_type(artifact_type("B", external_id="b", base_type="MODEL", description="d"))
    s.put_artifact_type(artifact_type("Y", external_id="10", version="v1", props={"p": "INT"}))
    s.put_artifact_type(artifact_type("K", external_id="é"))
    s.put_artifact_type(artifact_type("A", external_id="9", base_type="DATASET"))
    s.put_artifact_type(artifact_type("U", external_id="B"))
    return [[t.id for t in s.get_artifact_types_by_external_ids(["b", "é", "10", "B", "9", "b", "nope"])],
            show(s.get_artifact_types_by_external_ids(["b", "10"]))]


def execution_types_by_external_ids_shape() -> Json:
    s = new_store()
    t = execution_type("T", external_id="t", base_type="TRAIN", version="v")
    t.input_type.any.SetInParent()
    t.output_type.none.SetInParent()
    s.put_execution_type(t)
    s.put_context_type(context_type("C", external_id="c"))
    return [show(s.get_execution_types_by_external_ids(["t"])), show(s.get_execution_types_by_id([10])),
            show(s.get_context_types_by_external_ids(["c"]))]


def types_by_external_ids_empty_input() -> Json:
    return catch(new_store().get_artifact_types_by_external_ids, [])


def types_by_external_ids_no_match() -> Json:
    s = new_store()
    s.put_execution_type(execution_type("E", external_id="e"))
    return [catch(s.get_execution_types_by_external_ids, ["zzz"]),
            catch(s.get_artifact_types_by_external_ids, ["e"])]


def types_by_external_ids_partial() -> Json:
    s = new_store()
    s.put_execution_type(execution_type("E", external_id="e"))
    return show(s.get_execution_types_by_external_ids(["zzz", "e"]))


CASES = [
    Case("first-user-type-gets-id-10", first_user_type_id, 10),
    Case("type-ids-shared-across-kinds", type_ids_shared_across_kinds, [10, 11, 12]),
    Case("fresh-store-lists-no-types", fresh_store_lists_no_types, [[], [], []]),
    Case("builtin-artifact-types-by-id", builtin_artifact_types_by_id, [
        {"id": 1, "name": "mlmd.Dataset"}, {"id": 2, "name": "mlmd.Model"},
        {"id": 3, "name": "mlmd.Metrics"}, {"id": 4, "name": "mlmd.Statistics"}]),
    Case("builtin-execution-types-by-id", builtin_execution_types_by_id, [
        {"id": 5, "name": "mlmd.Train"}, {"id": 6, "name": "mlmd.Transform"},
        {"id": 7, "name": "mlmd.Process"}, {"id": 8, "name": "mlmd.Evaluate"},
        {"id": 9, "name": "mlmd.Deploy"}]),
    Case("no-builtin-context-types", no_builtin_context_types, []),
    Case("builtins-hidden-from-listing", builtin_names_are_free_for_listing, ["A"]),
    Case("builtin-type-fetched-by-name", builtin_type_fetched_by_name,
         {"id": 2, "name": "mlmd.Model"}),
    # Spec 2.4 says "ascending id"; 1.17.1 answers in input order, once per requested id.
    Case("types-by-id-input-order-duplicates-kept-other-kind-skipped",
         types_by_id_input_order_duplicates_kept, [12, 10, 12]),
    Case("types-by-id-empty-input", types_by_id_empty_input, []),
    Case("put-same-type-twice-same-id", put_same_type_twice_same_id, [10, 10]),
    Case("put-type-without-name", put_type_without_name,
         ["error", "InvalidArgumentError", "No type name is specified."]),
    Case("put-execution-type-without-name", put_execution_type_without_name,
         ["error", "InvalidArgumentError"]),
    Case("put-context-type-without-name", put_context_type_without_name,
         ["error", "InvalidArgumentError"]),
    Case("put-type-unknown-property-type", put_type_with_unknown_property_type,
         ["error", "InvalidArgumentError"]),
    Case("all-property-types-round-trip", all_property_types_round_trip, {
        "id": 10, "name": "A", "properties": {
            "b": "BOOLEAN", "d": "DOUBLE", "i": "INT", "pr": "PROTO", "s": "STRING",
            "st": "STRUCT"}}),
    Case("same-name-in-each-kind", same_name_in_each_kind,
         [10, 11, 12, ["X"], ["X"], ["X"]]),
    Case("type-listing-ordered-by-id", type_listing_order_is_by_id,
         [[10, "b"], [11, "a"], [12, "c"]]),
    Case("request-id-ignored-wrong-id-resolves-by-name",
         request_id_ignored_wrong_id_resolves_by_name, [10, 10]),
    Case("request-id-ignored-existing-id-new-name-creates",
         request_id_ignored_existing_id_new_name_creates, [10, 11, ["A", "B"]]),
    Case("evolve-add-field-without-flag", add_field_without_flag, [
        ["error", "AlreadyExistsError"],
        {"id": 10, "name": "T", "properties": {"a": "INT", "b": "STRING"}}]),
    Case("evolve-add-field-with-flag", add_field_with_flag, [
        10, {"id": 10, "name": "T", "properties": {"a": "INT", "b": "STRING", "c": "DOUBLE"}}]),
    Case("evolve-omit-field-without-flag", omit_field_without_flag, [
        ["error", "AlreadyExistsError"],
        {"id": 10, "name": "T", "properties": {"a": "INT", "b": "STRING"}}]),
    Case("evolve-omit-field-with-flag-keeps-it", omit_field_with_flag_keeps_stored_property, [
        10, {"id": 10, "name": "T", "properties": {"a": "INT", "b": "STRING"}}]),
    Case("evolve-omit-all-fields-with-flag", omit_all_fields_with_flag, [
        10, {"id": 10, "name": "T", "properties": {"a": "INT", "b": "STRING"}}]),
    Case("evolve-change-property-type-rejected", change_property_type_rejected_even_with_flags, [
        ["error", "AlreadyExistsError"],
        {"id": 10, "name": "T", "properties": {"a": "INT", "b": "STRING"}}]),
    Case("evolve-add-and-omit-together", add_and_omit_together, [
        10, {"id": 10, "name": "T", "properties": {"a": "INT", "b": "STRING", "z": "BOOLEAN"}}]),
    Case("evolve-add-and-omit-with-only-add-flag", add_and_omit_with_only_add_flag, [
        ["error", "AlreadyExistsError"],
        {"id": 10, "name": "T", "properties": {"a": "INT", "b": "STRING"}}]),
    Case("evolve-omitted-reported-before-new", evolve_omitted_reported_before_new, [
        "error", "AlreadyExistsError",
        "Type already exists with different properties: can_omit_fields is false while stored type has more "
        "properties"]),
    Case("evolve-omitted-reported-before-conflict", evolve_omitted_reported_before_conflict, [
        "error", "AlreadyExistsError",
        "Type already exists with different properties: can_omit_fields is false while stored type has more "
        "properties"], oracle=False,
         why="ml-metadata 1.17.1 reports the omitted property or the conflicting one, whichever its hash map of "
             "the stored properties gives first, and that order changes from process to process; we always "
             "report omitted properties first"),
    Case("evolve-conflict-reported-before-new", evolve_conflict_reported_before_new, [
        "error", "AlreadyExistsError",
        "Type already exists with different properties: Conflicting property value type found in stored and "
        "given types"]),
    Case("evolve-error-message", evolution_error_message,
         ["error", "AlreadyExistsError", "Type already exists with different properties"]),
    Case("description-frozen-at-creation", description_frozen_at_creation,
         {"id": 10, "name": "T", "description": "first"}),
    Case("description-not-added-later", description_not_added_later, {"id": 10, "name": "T"}),
    Case("versions-are-distinct-types", versions_are_distinct_types, [10, 11, 12, 11]),
    Case("get-type-by-version", get_type_by_version, [
        {"id": 11, "name": "T", "version": "v1", "properties": {"b": "INT"}},
        {"id": 10, "name": "T", "properties": {"a": "INT"}},
        {"id": 10, "name": "T", "properties": {"a": "INT"}}]),
    Case("missing-version-not-found", missing_version_not_found,
         [["error", "NotFoundError"], ["error", "NotFoundError"]]),
    Case("empty-version-equals-unset", empty_version_equals_unset,
         [10, 10, {"id": 10, "name": "T"}]),
    Case("listing-includes-all-versions", listing_includes_all_versions,
         [["T", "v2"], ["T", ""], ["U", "v1"]]),
    Case("versions-evolve-independently", versions_evolve_independently,
         ["error", "AlreadyExistsError"]),
    Case("get-type-missing", get_type_missing, ["error", "NotFoundError", "No type found"]),
    Case("get-type-wrong-kind", get_type_wrong_kind,
         [["error", "NotFoundError"], ["error", "NotFoundError"]]),
    Case("base-type-recorded", base_type_recorded, [
        {"id": 10, "name": "T", "base_type": "MODEL"},
        {"id": 11, "name": "E", "base_type": "TRAIN"}]),
    Case("base-type-change-unimplemented", base_type_change_unimplemented,
         ["error", "UnimplementedError", "base_type update is not supported yet"]),
    Case("base-type-same-value-again", base_type_same_value_again, [10, 10]),
    Case("base-type-unset-on-reput-keeps-it", base_type_unset_on_reput_keeps_it,
         {"id": 10, "name": "E", "base_type": "DEPLOY"}),
    # Only changing an already-set base_type is UNIMPLEMENTED; setting it later is accepted.
    Case("base-type-set-on-reput-of-type-without-one", base_type_set_on_reput_of_untyped,
         [10, {"id": 10, "name": "T", "base_type": "DATASET"}]),
    Case("execution-type-struct-types-round-trip", execution_type_struct_types_round_trip, {
        "id": 10, "name": "E",
        "input_type": {"dict": {"properties": {"x": {"simple": {"name": "M"}}}}},
        "output_type": {"list": {"element": {"none": {}}}}}),
    Case("struct-types-frozen-at-creation", struct_types_frozen_at_creation,
         {"id": 10, "name": "E", "input_type": {"any": {}}}),
    Case("external-id-round-trip-by-name-and-id", external_id_round_trip_by_name_and_id, [
        {"id": 10, "name": "T", "external_id": "ext"},
        [{"id": 10, "name": "T", "external_id": "ext"}]]),
    Case("listing-omits-external-id", listing_omits_external_id,
         [[{"id": 10, "name": "T"}], [{"id": 11, "name": "C"}]]),
    Case("external-id-follows-latest-put", external_id_follows_latest_put, [
        {"id": 10, "name": "T", "external_id": "two"}, ["error", "NotFoundError"]]),
    Case("external-id-kept-when-absent-on-reput", external_id_kept_when_absent_on_reput,
         {"id": 10, "name": "T", "external_id": "one"}),
    Case("external-id-duplicate-same-kind", external_id_duplicate_same_kind,
         ["error", "AlreadyExistsError"]),
    Case("external-id-duplicate-same-kind-each-kind", external_id_duplicate_same_kind_each_kind, [
        ["error", "AlreadyExistsError",
         "Conflict of external_id: a Found already existing Artifact type with the same external_id"],
        ["error", "AlreadyExistsError",
         "Conflict of external_id: c Found already existing Context type with the same external_id"]]),
    Case("external-id-duplicate-across-kinds", external_id_duplicate_across_kinds,
         [["error", "InternalError"], ["error", "InternalError"]]),
    Case("external-id-taken-on-update", external_id_taken_on_update, [
        ["error", "InternalError", "Error when executing query: UNIQUE constraint failed: Type.external_id"],
        ["error", "InternalError", "Error when executing query: UNIQUE constraint failed: Type.external_id"],
        {"id": 11, "name": "A"}, {"id": 12, "name": "C"}]),
    Case("put-type-reports-the-first-fault", put_type_reports_the_first_fault, [
        ["error", "AlreadyExistsError"], ["error", "AlreadyExistsError"], ["error", "AlreadyExistsError"],
        ["error", "InvalidArgumentError", "Property:u type should not be UNKNOWN."],
        ["error", "InternalError"], ["error", "UnimplementedError"], ["error", "AlreadyExistsError"],
        ["error", "InvalidArgumentError", "Property u is UNKNOWN."],
        {"id": 10, "name": "D", "properties": {"a": "INT"}, "base_type": "DATASET"}]),
    Case("types-by-external-ids-found", types_by_external_ids_found, [
        {"id": 10, "name": "C1", "external_id": "c1"},
        {"id": 11, "name": "C2", "external_id": "c2"}]),
    # By external_id in byte order, once each, without base_type (which the other type reads return).
    Case("types-by-external-ids-order-and-shape", types_by_external_ids_order_and_shape, [
        [11, 13, 14, 10, 12],
        [{"id": 11, "name": "Y", "version": "v1", "properties": {"p": "INT"}, "external_id": "10"},
         {"id": 10, "name": "B", "description": "d", "external_id": "b"}]]),
    # ... and without an execution type's input_type and output_type.
    Case("execution-types-by-external-ids-shape", execution_types_by_external_ids_shape, [
        [{"id": 10, "name": "T", "version": "v", "external_id": "t"}],
        [{"id": 10, "name": "T", "version": "v", "base_type": "TRAIN", "external_id": "t",
          "input_type": {"any": {}}, "output_type": {"none": {}}}],
        [{"id": 11, "name": "C", "external_id": "c"}]]),
    Case("types-by-external-ids-empty-input", types_by_external_ids_empty_input, []),
    Case("types-by-external-ids-no-match", types_by_external_ids_no_match,
         [["error", "NotFoundError"], ["error", "NotFoundError"]]),
    Case("types-by-external-ids-partial", types_by_external_ids_partial,
         [{"id": 10, "name": "E", "external_id": "e"}]),
]
