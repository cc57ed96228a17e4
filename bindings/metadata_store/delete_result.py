"""What `MetadataStore.delete_*` and `collect_garbage` return: the ids of what went (or would go, in a dry run)."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import attr


@attr.s(auto_attribs=True, frozen=True)
class DeleteResult:
    """The nodes and edges a delete removed, or with `dry_run` would remove.

    Node ids are ascending lists; edges are tuples of ids, sorted:

    * `artifact_ids`, `execution_ids`, `context_ids`: every node deleted, orphans included;
    * `orphan_artifact_ids`, `orphan_execution_ids`, `orphan_context_ids`: those among them deleted only as
      orphans (nodes left without any edge, with `delete_orphans=True`);
    * `events`: (artifact_id, execution_id, Event.Type number);
    * `attributions` and `associations`: (context_id, artifact_id) and (context_id, execution_id);
    * `parent_contexts`: (child_id, parent_id);
    * `dry_run`: True when nothing was deleted.

    `to_dict()` gives it as JSON-ready lists (what `fastmlmd delete --format json` prints).
    """

    artifact_ids: List[int] = attr.Factory(list)
    execution_ids: List[int] = attr.Factory(list)
    context_ids: List[int] = attr.Factory(list)
    events: List[Tuple[int, int, int]] = attr.Factory(list)
    attributions: List[Tuple[int, int]] = attr.Factory(list)
    associations: List[Tuple[int, int]] = attr.Factory(list)
    parent_contexts: List[Tuple[int, int]] = attr.Factory(list)
    orphan_artifact_ids: List[int] = attr.Factory(list)
    orphan_execution_ids: List[int] = attr.Factory(list)
    orphan_context_ids: List[int] = attr.Factory(list)
    dry_run: bool = False

    def to_dict(self) -> Dict[str, Any]:
        """Every field, tuples as lists."""
        return {name: [list(v) if isinstance(v, tuple) else v for v in value] if isinstance(value, list) else value
                for name, value in attr.asdict(self, recurse=False).items()}

    def counts(self) -> Dict[str, int]:
        """How many of each were deleted: artifacts, executions, contexts, events, attributions, associations,
        parent_contexts."""
        return {"artifacts": len(self.artifact_ids), "executions": len(self.execution_ids),
                "contexts": len(self.context_ids), "events": len(self.events),
                "attributions": len(self.attributions), "associations": len(self.associations),
                "parent_contexts": len(self.parent_contexts)}
