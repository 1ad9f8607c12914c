"""The order of one pytest run: the recorder plugin's mini-language, parsed once.

    file            pytest's own collection order
    reverse         the collection order reversed
    shuffle:SEED    a replayable shuffle (hash of seed and node id, modules and classes kept
                    together)
    ids:PATH        the node ids listed in PATH, in that order (a rerun)

`str(order)` is the form the plugin reads from PHASEGATE_ORDER and the artifacts record.
"""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path


class OrderKind(enum.StrEnum):
    FILE = "file"
    REVERSE = "reverse"
    SHUFFLE = "shuffle"
    IDS = "ids"


@dataclasses.dataclass(frozen=True)
class Order:
    kind: OrderKind
    seed: int | None = None  # shuffle only
    ids: Path | None = None  # ids only

    def __str__(self) -> str:
        if self.kind is OrderKind.SHUFFLE:
            return f"shuffle:{self.seed}"
        if self.kind is OrderKind.IDS:
            return f"ids:{self.ids}"
        return self.kind.value

    @classmethod
    def parse(cls, text: str) -> Order:
        kind, _, value = text.partition(":")
        if kind == OrderKind.SHUFFLE:
            return cls(OrderKind.SHUFFLE, seed=int(value))
        if kind == OrderKind.IDS:
            return cls(OrderKind.IDS, ids=Path(value))
        return cls(OrderKind(kind))


FILE = Order(OrderKind.FILE)
