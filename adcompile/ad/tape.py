"""The tape: values the forward sweep keeps for the backward sweep, as nodes of the code.

The reverse pass does not decide how values are kept. Where a piece of code inside
a loop must keep values that later iterations overwrite, it emits a ``Save`` node in
the forward sweep and a ``Restore`` node, with the same ``key``, in the backward
sweep: ``Save(key=3, names=[h, y])`` ... ``Restore(key=3, names=[h, y])``. Passes
between the reverse pass and the lowering see them as ordinary statements (a
``Save`` reads its names, a ``Restore`` assigns them), so renaming, liveness and
pruning need no special case; ``prune`` drops the values nothing reads back.

A *save policy* then lowers the nodes to Python (save_policies.py: ``stack``,
``per_name``, ``per_step``).
"""

import ast
from dataclasses import dataclass, field, replace

from .. import ir


class _Node(ast.stmt):
    """A node of the tape: a ``key`` and the names it keeps (ast.Name nodes of context
    ``_ctx``), a field so that ast.walk and the name helpers see them."""

    _fields = ("names",)
    _attributes = ()
    _ctx = ast.Load

    def __init__(self, key=None, names=()):
        super().__init__()
        self.key = key
        self.names = [ast.Name(id=n, ctx=self._ctx()) for n in names]


class Save(_Node):
    """Forward sweep: keep the current values of ``names`` under ``key``."""


class Restore(_Node):
    """Backward sweep: give ``names`` back the values the ``Save`` of ``key`` kept."""

    _ctx = ast.Store


@dataclass
class Piece:
    """A piece of a block in a loop (a run of simple statements, an if or a loop, or the
    carries and jump ending an iteration): the key of its saves (None: it saves nothing),
    the names it assigns, whether it may jump out of the block."""

    key: object
    writes: set
    jumps: bool


@dataclass
class Tape:
    """What the reverse pass decided to keep: per key (a piece of code in a loop: its first
    IR statement, or its if or loop; ``("start", loop)``, the start of each iteration of a
    loop; ``("entry", loop)``, a loop's entry), the names saved (the Save and Restore
    nodes of the key carry them); and the order the pieces run in, for ``drop_repeated``."""

    saves: dict = field(default_factory=dict)      # key -> names
    unit_of: dict = field(default_factory=dict)    # IR statement -> key of its piece
    chains: dict = field(default_factory=dict)     # id(block in a loop) -> its Pieces
    continues: dict = field(default_factory=dict)  # id(branch) -> (id(block), key of its if)
    # what the in-place form of adjoint arrays saves (ad/forms.py; None once chosen): it
    # may read fewer values (x_bar[i] += g, not getitem_bar(g, x, i))
    in_place_saves: dict = field(default_factory=dict)

    def copy(self):
        """A tape whose saves later passes may change (the pieces are read only)."""
        in_place = None if self.in_place_saves is None else {
            key: list(names) for key, names in self.in_place_saves.items()}
        return replace(self, saves={key: list(names) for key, names in self.saves.items()},
                       in_place_saves=in_place)

    def save(self, key, names=(), in_place=None):
        """Record that ``key`` saves ``names`` too, and ``in_place`` in the in-place form of
        adjoint arrays (None: ``names``; False: that form saves nothing at ``key``). For a
        new key, returns its Restore node, which the caller puts in the backward sweep;
        else None."""
        new = key not in self.saves
        saved = self.saves.setdefault(key, [])
        saved.extend(n for n in names if n not in saved)
        if in_place is not False:
            kept = self.in_place_saves.setdefault(key, [])
            kept.extend(n for n in (names if in_place is None else in_place) if n not in kept)
        return Restore(key, saved) if new else None

    def choose_in_place(self, backward):
        """Make the saves of the in-place form of adjoint arrays the tape's; returns
        ``backward`` (changed in place) without the Restore nodes of keys only the other
        form saves at, the others given the names that form saves."""
        self.saves, self.in_place_saves = self.in_place_saves, None
        backward = _without_restores(backward, lambda key: key not in self.saves)
        self.fill(backward)
        return backward

    def fill(self, backward):
        """Give each Restore node of ``backward`` the names its key saves."""
        if not self.saves:   # (no Restore was made)
            return
        for node in nodes(backward, Restore):
            node.names = [ir.store(n) for n in self.saves[node.key]]

    def keep_read(self, backward):
        """Save only what the backward sweep reads back; returns it without empty restores."""
        if not self.saves:   # (no Restore was made: only the blocks left empty to fill)
            return _drop_empty(backward)
        self.fill(backward)
        _, backward = prune([], backward)
        kept = {r.key: saved_names(r) for r in nodes(backward, Restore)}
        self.saves = {key: kept.get(key, []) for key in self.saves}
        return backward

    def record_chain(self, block, pieces):
        """The pieces of ``block`` (a block in a loop) in the order they run, and for each
        if among them, where its branches continue (the if's own save, then what follows)."""
        self.chains[id(block)] = [piece for piece, _ in pieces]
        for piece, node in pieces:
            if isinstance(node, ir.If):
                self.continues[id(node.body)] = self.continues[id(node.orelse)] = \
                    (id(block), piece.key)

    def following(self, block, i):
        """The pieces that run after piece ``i`` of ``block`` in the same iteration."""
        yield from self.chains.get(block, [])[i + 1:]
        parent = self.continues.get(block)
        if parent is not None:
            # then the if's own save, at its exit: what this branch assigns after piece i
            # is counted already (the if's writes include the other branch's, and the
            # earlier ones of this branch)
            outer, key = parent
            at = next(k for k, piece in enumerate(self.chains[outer]) if piece.key == key)
            yield Piece(key, set(), self.chains[outer][at].jumps)
            yield from self.following(outer, at)

    def drop_repeated(self):
        """A value a piece saves need not be saved there when a later piece of the same
        iteration saves it too and nothing assigns it in between: the later save is
        restored first in the backward sweep, and the value is the same."""
        for block, chain in self.chains.items():
            for i, piece in enumerate(chain):
                names = self.saves.get(piece.key)
                if not names:
                    continue
                assigned, later = set(), set()
                for other in self.following(block, i):
                    if other.jumps:
                        break
                    assigned |= other.writes
                    later |= set(self.saves.get(other.key, ())) - assigned
                self.saves[piece.key] = [n for n in names if n not in later]

    def save_nodes(self, key):
        """The forward sweep's Save for ``key``: [] when it saves nothing."""
        names = self.saves.get(key)
        return [Save(key, names)] if names else []


def saved_names(node):
    """The names a Save or Restore node keeps."""
    return [n.id for n in node.names]


def nodes(stmts, kind):
    """The ``kind`` (Save or Restore) nodes in ``stmts``, at any depth, in order."""
    return [n for s in stmts for n in ir.walk_statements(s) if isinstance(n, kind)]


def prune(forward, backward):
    """Keep only the values that backward code reads back (a restored name nothing reads
    from the restore's top-level statement on need not be saved: code before it reads the
    forward sweep's value); a save and restore left with no value go away."""
    keep = {}
    for k, top in enumerate(backward):
        restores = nodes([top], Restore)
        if not restores:
            continue
        read = ir.reads(backward[k:])
        for restore in restores:
            keep[restore.key] = [n for n in saved_names(restore) if n in read]
    for node in nodes(forward, Save) + nodes(backward, Restore):
        names = keep.get(node.key, [])
        node.names = [type(n)(id=n.id, ctx=n.ctx) for n in node.names if n.id in names]
    return _drop_empty(forward), _drop_empty(backward)


def _without_restores(stmts, dropped):
    """``stmts`` without the Restore nodes whose key is ``dropped(key)`` (in place)."""
    out = []
    for s in stmts:
        if isinstance(s, Restore) and dropped(s.key):
            continue
        for name in ("body", "orelse"):
            block = getattr(s, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(s, name, _without_restores(block, dropped) or [ast.Pass()])
        out.append(s)
    return out


def _drop_empty(stmts):
    """``stmts`` without Save/Restore nodes that keep nothing (a block left empty passes)."""
    out = []
    for s in stmts:
        if isinstance(s, (Save, Restore)) and not s.names:
            continue
        if isinstance(s, (ast.If, ast.For, ast.While)):
            s.body = _drop_empty(s.body) or [ast.Pass()]
            s.orelse = _drop_empty(s.orelse)
        out.append(s)
    return out
