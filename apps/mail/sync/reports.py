"""What a sync did, folder by folder: returned to callers, printed by the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FolderReport:
    name: str
    mode: str = "unchanged"  # unchanged | initial | incremental | full-diff | reset
    added: int = 0
    updated: int = 0
    removed: int = 0


@dataclass
class SyncReport:
    folders: list[FolderReport] = field(default_factory=list)
    round_trips: int = 0

    @property
    def changed(self) -> bool:
        return any(f.mode != "unchanged" for f in self.folders)
