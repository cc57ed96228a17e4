"""Data fidelity: awkward strings, unicode, extreme numbers, structs and protos round-trip unchanged.

Where ml-metadata 1.17.1 corrupts data (strings cut at NUL, doubles rounded to about six decimals
or 15 significant digits, infinities rejected by a raw SQL error) we keep the data intact instead:
those rows carry `oracle=False` and say so.
"""
from __future__ import annotations

from typing import Any

from scenario_kit import (
    Case,
    Json,
    artifact,
    artifact_type,
    catch,
    context,
    context_type,
    event,
    execution,
    mlmd,
    new_store,
    pb,
    show,
    store_with_types,
)

_NUL_WHY = ("ml-metadata 1.17.1 cuts strings at the first NUL (and drops a custom property whose "
            "key holds one); we store the exact string")
_DOUBLE_WHY = ("ml-metadata 1.17.1 stores doubles as text with about six decimals / 15 significant "
               "digits, so this value comes back rounded; we store the exact double")


def _round_trip_artifact(text: str) -> list:
    """Stores `text` in every string slot of an artifact and reads it back."""
    s, a, _, _ = store_with_types()
    [aid] = s.put_artifacts([artifact(a, uri=text, name=text, external_id=text,
                                      properties={"s": text}, custom_properties={text: text})])
    got = s.get_artifacts_by_id([aid])[0]
    return [got.uri == text, got.name == text, got.external_id == text,
            got.properties["s"].string_value == text, list(got.custom_properties) == [text],
            got.custom_properties[text].string_value == text]


ALL_KEPT = [True, True, True, True, True, True]


def quotes_and_backslashes() -> Json:
    return _round_trip_artifact("it's \"quoted\" \\ back\\\\slash `tick`")


def sql_lookalike() -> Json:
    return _round_trip_artifact("x'); DROP TABLE Artifact; --")


def unicode_text() -> Json:
    return _round_trip_artifact("ünïcødé ☃ 𝄞 日本語 \u200b")


def control_characters() -> Json:
    return _round_trip_artifact("line\nbreak\ttab\rcr\x01\x7f")


def leading_and_trailing_spaces() -> Json:
    return _round_trip_artifact("  padded  ")


def long_strings() -> Json:
    return _round_trip_artifact("x" * 100_000)


def nul_in_strings() -> Json:
    return _round_trip_artifact("before\x00after")


def unicode_type_and_property_names() -> Json:
    s = new_store()
    s.put_context_type(context_type("Tÿpe ☃", props={"prøp erty": "STRING"}))
    [cid] = s.put_contexts([context(10, name="nåme 'q'", properties={"prøp erty": "välue"})])
    return [show(s.get_context_type("Tÿpe ☃")),
            show(s.get_context_by_type_and_name("Tÿpe ☃", "nåme 'q'"))]


def nul_in_type_name() -> Json:
    s = new_store()
    s.put_artifact_type(artifact_type("T\x00X"))
    return [t.name for t in s.get_artifact_types()]


def uri_lookup_is_exact_not_a_pattern() -> Json:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, uri="a%"), artifact(a, uri="abc"), artifact(a, uri="a_c"),
                     artifact(a, uri="A%")])
    return [[x.id for x in s.get_artifacts_by_uri(q)] for q in ["a%", "a_c", "a*", "%"]]


def name_lookup_with_quotes() -> Json:
    s, _, e, _ = store_with_types()
    s.put_executions([execution(e, name="o'brien \"x\"")])
    return show(s.get_execution_by_type_and_name("E", "o'brien \"x\""))


def event_path_keys() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    s.put_executions([execution(e)])
    s.put_events([event(1, 1, path=["ü'\"\\", "", "a.b[0]"])])
    return show(s.get_events_by_artifact_ids([1])[0].path)


def event_path_key_with_nul() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    s.put_executions([execution(e)])
    s.put_events([event(1, 1, path=["a\x00b"])])
    return show(s.get_events_by_artifact_ids([1])[0].path)


def _custom_value(v: Any) -> Json:
    s, a, _, _ = store_with_types()
    outcome = catch(s.put_artifacts, [artifact(a, custom_properties={"v": v})])
    if outcome and outcome[0] == "error":
        return outcome
    return show(s.get_artifacts()[0].custom_properties["v"])


def int64_extremes() -> Json:
    return [_custom_value(2**63 - 1), _custom_value(-2**63), _custom_value(0)]


def doubles_kept_by_both() -> Json:
    return [_custom_value(0.5), _custom_value(-7.25), _custom_value(1e300), _custom_value(0.1)]


def double_needing_17_digits() -> Json:
    return _custom_value(0.1 + 0.2)


def tiny_double() -> Json:
    return _custom_value(2.5e-10)


def largest_double() -> Json:
    return _custom_value(1.7976931348623157e308)


def infinity() -> Json:
    return [_custom_value(float("inf")), _custom_value(float("-inf"))]


def booleans() -> Json:
    return [_custom_value(True), _custom_value(False)]


def struct_round_trip() -> Json:
    return _custom_value({"s": "a\x00b 'q' \\", "n": [1.5, None, {"deep": True}], "e": {}})


def proto_value_with_binary_payload() -> Json:
    v = pb.Value()
    v.proto_value.Pack(pb.Value(string_value="nul\x00inside ü"))
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, properties={}, custom_properties={"pv": v})])
    inner = pb.Value()
    s.get_artifacts()[0].custom_properties["pv"].proto_value.Unpack(inner)
    return inner.string_value == "nul\x00inside ü"


def property_name_both_declared_and_custom() -> Json:
    # One name held as a declared and as a custom property of one node: two values, kept apart.
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a, custom_properties={"s": 1})])
    s.put_artifacts([artifact(a, id=1, properties={"s": "x"})])
    s.put_artifacts([artifact(a, properties={"s": "x"}, custom_properties={"s": 1})])
    s.put_artifacts([artifact(a, id=2, properties={"s": "y"}, custom_properties={"s": 2})])

    def found(query: str) -> list:
        return [n.id for n in s.get_artifacts(list_options=mlmd.ListOptions(filter_query=query))]
    return [show(s.get_artifacts()), found("properties.s.string_value = 'y'"), found("custom_properties.s.int_value = 2")]


CASES = [
    Case("quotes-and-backslashes", quotes_and_backslashes, ALL_KEPT),
    Case("sql-lookalike", sql_lookalike, ALL_KEPT),
    Case("unicode-text", unicode_text, ALL_KEPT),
    Case("control-characters", control_characters, ALL_KEPT),
    Case("leading-and-trailing-spaces", leading_and_trailing_spaces, ALL_KEPT),
    Case("long-strings", long_strings, ALL_KEPT),
    Case("nul-in-strings", nul_in_strings, ALL_KEPT, oracle=False, why=_NUL_WHY),
    Case("unicode-type-and-property-names", unicode_type_and_property_names, [
        {"id": 10, "name": "Tÿpe ☃", "properties": {"prøp erty": "STRING"}},
        {"id": 1, "type_id": 10, "name": "nåme 'q'",
         "properties": {"prøp erty": {"string_value": "välue"}}, "type": "Tÿpe ☃"}]),
    Case("nul-in-type-name", nul_in_type_name, ["T\x00X"], oracle=False, why=_NUL_WHY),
    Case("uri-lookup-is-exact-not-a-pattern", uri_lookup_is_exact_not_a_pattern,
         [[1], [3], [], []]),
    Case("name-lookup-with-quotes", name_lookup_with_quotes,
         {"id": 1, "type_id": 11, "name": "o'brien \"x\"", "type": "E"}),
    Case("event-path-keys", event_path_keys,
         {"steps": [{"key": "ü'\"\\"}, {"key": ""}, {"key": "a.b[0]"}]}),
    Case("event-path-key-with-nul", event_path_key_with_nul, {"steps": [{"key": "a\x00b"}]},
         oracle=False, why=_NUL_WHY),
    Case("int64-extremes", int64_extremes, [
        {"int_value": 9223372036854775807}, {"int_value": -9223372036854775808},
        {"int_value": 0}]),
    Case("doubles-kept-by-both", doubles_kept_by_both, [
        {"double_value": 0.5}, {"double_value": -7.25}, {"double_value": 1e300},
        {"double_value": 0.1}]),
    Case("double-needing-17-digits", double_needing_17_digits,
         {"double_value": 0.30000000000000004}, oracle=False, why=_DOUBLE_WHY),
    Case("tiny-double", tiny_double, {"double_value": 2.5e-10}, oracle=False, why=_DOUBLE_WHY),
    Case("largest-double", largest_double, {"double_value": 1.7976931348623157e308},
         oracle=False, why=_DOUBLE_WHY + " (here: infinity)"),
    Case("infinity", infinity, [{"double_value": float("inf")}, {"double_value": float("-inf")}],
         oracle=False, why="ml-metadata 1.17.1 fails with InternalError (the SQL text 'inf' is "
                           "read as a column name); we store infinities"),
    Case("booleans", booleans, [{"bool_value": True}, {"bool_value": False}]),
    Case("struct-round-trip", struct_round_trip, {"struct_value": {"fields": {
        "e": {"struct_value": {}},
        "n": {"list_value": {"values": [
            {"number_value": 1.5}, {"null_value": "NULL_VALUE"},
            {"struct_value": {"fields": {"deep": {"bool_value": True}}}}]}},
        "s": {"string_value": "a\x00b 'q' \\"}}}}),
    Case("proto-value-with-binary-payload", proto_value_with_binary_payload, True),
    Case("property-name-both-declared-and-custom", property_name_both_declared_and_custom, [
        [{"id": 1, "type_id": 10, "uri": "", "type": "A"},
         {"id": 2, "type_id": 10, "uri": "", "custom_properties": {"s": {"int_value": 2}}, "type": "A"}], [], [2]],
         ours=[[{"id": 1, "type_id": 10, "uri": "", "properties": {"s": {"string_value": "x"}}, "type": "A"},
                {"id": 2, "type_id": 10, "uri": "", "properties": {"s": {"string_value": "y"}},
                 "custom_properties": {"s": {"int_value": 2}}, "type": "A"}], [2], [2]],
         ours_why="ml-metadata 1.17.1 keeps a node's property rows by name alone, so a name held both as a declared "
                  "and as a custom property loses one of its two values on an update (and filters miss it); we "
                  "keep both"),
]
