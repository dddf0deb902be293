"""The structure of IR blocks: the blocks a statement holds (``children``), every
statement of a block (``walk``), whether a block always jumps, a statement put before
another, and a block as the pieces the reverse pass saves for (``segments``).
"""

from dataclasses import dataclass, field

from .nodes import Carry, If, Jump, Loop


def always_jumps(block):
    """Whether every path through an IR block ends with break or continue."""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, Jump):
        return True
    if isinstance(last, If):
        return always_jumps(last.body) and always_jumps(last.orelse)
    return False


def children(s):
    """The nested statement lists of an IR statement."""
    if isinstance(s, If):
        return [s.body, s.orelse]
    if isinstance(s, Loop):
        return [s.body]
    return []


def walk(stmts):
    """Every IR statement of ``stmts``, nested ones included, in order."""
    for s in stmts:
        yield s
        for block in children(s):
            yield from walk(block)


def insert_before(block, target, statement):
    """Put ``statement`` just before the statement ``target`` of ``block`` (or of a block in
    it), in place; whether ``target`` was found."""
    for at, s in enumerate(block):
        if s is target:
            block.insert(at, statement)
            return True
        if any(insert_before(inner, target, statement) for inner in children(s)):
            return True
    return False


@dataclass
class Segment:
    """A piece of a block: a run of simple statements (``kind`` "simple", ``body``), an if
    or a loop ("control", ``node``), or the end of an iteration ("exit": the carries in
    ``body``, then ``jump``, a break or continue, or None)."""

    kind: str
    body: list = field(default_factory=list)
    node: object = None
    jump: object = None


def segments(stmts):
    """A block as its Segments, in order."""
    found, run = [], []
    i = 0
    while i < len(stmts):
        s = stmts[i]
        if isinstance(s, (If, Loop, Carry, Jump)) and run:
            found.append(Segment("simple", run))
            run = []
        if isinstance(s, (If, Loop)):
            found.append(Segment("control", node=s))
        elif isinstance(s, (Carry, Jump)):
            carries = []
            while i < len(stmts) and isinstance(stmts[i], Carry):
                carries.append(stmts[i])
                i += 1
            jump = stmts[i] if i < len(stmts) and isinstance(stmts[i], Jump) else None
            found.append(Segment("exit", carries, jump=jump))
            i += 1 if jump is not None else 0
            continue
        else:
            run.append(s)
        i += 1
    if run:
        found.append(Segment("simple", run))
    return found
