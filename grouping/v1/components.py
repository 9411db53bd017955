"""Grouping components: the tree whose contributing leaves are hashed."""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import md5
from typing import Any, Union

Value = Union["Component", str, int]


class Component:
    """A node such as `exception`, `frame` or `function`.

    `contributes` is decided when the node is built (from its children unless given) and is
    never recomputed when a child changes later: Sentry's trees behave that way and v1
    hashes must match them.
    """

    __slots__ = ("_hash", "contributes", "hint", "id", "values")

    def __init__(
        self,
        id: str,
        values: Sequence[Value] | None = None,
        *,
        contributes: bool | None = None,
        hint: str | None = None,
    ) -> None:
        self.id = id
        self.values: Sequence[Value] = values if values is not None else ()
        self.hint = hint
        if contributes is None:
            contributes = _any_contributes(self.values)
        self.contributes = contributes
        self._hash: str | None = None

    def __repr__(self) -> str:
        return f"Component({self.id!r}, contributes={self.contributes}, hint={self.hint!r})"

    def exclude(self, hint: str | None) -> None:
        """Switch the node off, keeping an earlier hint when none is given."""
        self.contributes = False
        self._hash = None
        if hint is not None:
            self.hint = hint

    def replace_values(self, values: Sequence[Value], hint: str | None) -> None:
        """New values; contribution is recomputed from them, as Sentry's update() does."""
        self.values = values
        self.contributes = _any_contributes(values)
        self._hash = None
        if hint is not None:
            self.hint = hint

    def copy(self) -> Component:
        """A new node sharing the (immutable by then) children."""
        return Component(self.id, self.values, contributes=self.contributes, hint=self.hint)

    def leaves(self, out: list[Any]) -> list[Any]:
        """Append the contributing leaf values in tree order."""
        if self.contributes:
            values = self.values
            # A node holds either child components or plain values, never both.
            if values and isinstance(values[0], Component):
                for child in values:
                    child.leaves(out)  # type: ignore[union-attr]
            else:
                out.extend(values)
        return out

    def hash(self) -> str | None:
        """md5 of the contributing leaves (None without any); memoized.

        Call it only once the subtree is final: children are never changed after their
        parent is hashed, and the node's own changes reset the memo.
        """
        if not self.contributes:
            return None
        if self._hash is None:
            values = self.values
            if values and isinstance(values[0], Component):
                contributing = [v for v in values if v.contributes]  # type: ignore[union-attr]
                if len(contributing) == 1:
                    # Same leaves as the only contributing child: reuse its (memoized) hash.
                    self._hash = contributing[0].hash()  # type: ignore[union-attr]
                    return self._hash
            leaves = self.leaves([])
            self._hash = hash_values(leaves) if leaves else None
        return self._hash

    def structure(self) -> tuple[Any, ...]:
        """A comparable snapshot of the whole subtree, hints included."""
        return (
            self.id,
            self.contributes,
            self.hint,
            tuple(v.structure() if isinstance(v, Component) else v for v in self.values),
        )

    def as_dict(self) -> dict[str, Any]:
        values = self.values
        if values and isinstance(values[0], Component):
            serialized = [child.as_dict() for child in values]  # type: ignore[union-attr]
        else:
            serialized = list(values)
        return {"id": self.id, "contributes": self.contributes, "hint": self.hint,
                "values": serialized}


def _any_contributes(values: Sequence[Value]) -> bool:
    return any(not isinstance(v, Component) or v.contributes for v in values)


def hash_values(values: list[Any]) -> str:
    """md5 of the values' text concatenated without a separator (Sentry's rule)."""
    text = "".join(v if isinstance(v, str) else str(v) for v in values)
    return md5(text.encode("utf-8", "replace"), usedforsecurity=False).hexdigest()
