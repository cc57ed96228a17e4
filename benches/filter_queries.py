"""Representative filter queries, by name: (node kind, query). Shared by the parser and planner benches."""
from __future__ import annotations

from typing import Dict, Tuple

QUERIES: Dict[str, Tuple[str, str]] = {
    "name-eq": ("artifact", "name = 'run-000017.Trainer.Model'"),
    "enum-in": ("artifact", "state IN (LIVE, PENDING)"),
    "enum-ne": ("execution", "last_known_state != COMPLETE"),
    "property-range": ("artifact", "properties.span.int_value >= 17 AND properties.score.double_value > 0.5"),
    "uri-prefix": ("artifact", "uri LIKE '/pipelines/pipeline-01/run-000017/%'"),
    "context-join": ("artifact", "contexts_a.type = 'pipeline_run' AND contexts_a.name = 'run-000017' "
                                 "AND type = 'Model'"),
    "event-join": ("execution", "events_0.type = INPUT AND events_0.artifact_id = 42"),
    "parent-context": ("context", "parent_contexts_a.name = 'pipeline-01' AND type = 'pipeline_run'"),
    "nested-boolean": ("artifact", "NOT (name = 'a' OR external_id IS NULL) AND "
                                   "(create_time_since_epoch BETWEEN 1 AND 2 OR id IN (1, 2, 3))"),
    "backquoted-property": ("artifact", "custom_properties.`my key`.string_value = 'it\\'s'"),
    "long-or-50": ("artifact", " OR ".join(f"id = {i}" for i in range(50))),
}
