"""Normalizing branches and jumps: if/elif/else, break and continue.

Each branch gets names of its own (SSA); after an ``if`` a variable read
later has one name, whichever branch ran: a version one branch made, renamed
in the others, or copies at the ends of the paths that fall through. A jump
first copies the loop's variables back to the loop's names (see loop_variables.py).
Part of ``normalize.Normalizer``.
"""

import ast
import copy
from dataclasses import dataclass

from .. import ir
from .list_facts import Struct


@dataclass
class Path:
    """A way through an ``if`` that falls through: its IR statements and the names of the
    user's variables at its end."""

    block: list
    env: dict


class ControlFlow:
    """Part of ``normalize.Normalizer``: branches and jumps."""

    def condition(self, test):
        """The test of an ``if`` as a name (bound once, so the reverse sweep can reuse it)."""
        original, test = test, self.rename(self.hoist_local_calls(test))
        if isinstance(test, (ast.Name, ast.Constant)):
            return test
        name = self.namer.temp("c")
        self.out.body.append(ir.Keep(ir.assign(name, test), [name], pure=self.is_pure(original),
                                     origin=(self.scope.src, original)))
        return ir.load(name)

    def branch(self, stmt):
        """Normalize an ``if``: both branches from the same names, merged after it. An ``if``
        the keys of a loop over a structure decide (``for key, leaf in params.items(): if
        key != "layers": ...``, unrolled) is only the branch taken in that copy of the body."""
        taken = self.decided_branch(stmt)
        if taken is not None:
            return self.statements(taken)
        test = self.condition(stmt.test)
        before, structures = dict(self.scope.env), self.structures()
        then, then_jumps = self.block(stmt.body)
        env_then, self.scope.env = self.scope.env, dict(before)
        structures_then = self.structures(structures)
        orelse, else_jumps = self.block(stmt.orelse)
        env_else = self.scope.env
        falling = [(s, block, env) for s, block, env, jumps in (
            (structures_then, then, env_then, then_jumps),
            (self.structures(), orelse, env_else, else_jumps)) if not jumps]
        self.join_structures(stmt, *zip(*falling))
        self.merge_structures(stmt, structures, [s for s, _, _ in falling])
        paths = [Path(b, e) for b, e, jumps in ((then, env_then, then_jumps),
                                                (orelse, env_else, else_jumps)) if not jumps]
        self.scope.env = dict(before)
        if isinstance(test, ast.Name) and test.id in set().union(
                *(ir.defined_names(s) for s in then + orelse)):
            # a branch assigns the tested name (a loop in it carries it, as the ``returned``
            # flag of an early return): the reverse sweep needs the value tested, kept apart
            name = self.namer.temp("c")
            self.out.body.append(ir.Keep(ir.assign(name, test), [name]))
            test = ir.load(name)
        if not paths:
            self.scope.terminated = True
        live = getattr(stmt, "live_out", None)
        existing = set(before.values())   # names with values before the if (a loop may assign
        #                                   them again in a branch: still not the branch's own)
        related = self.views_on_paths([p.env for p in paths])
        for v in sorted(set().union(*(set(p.env) for p in paths))):
            self._merge(stmt, v, paths, live, existing)
        self.join_views(related)
        self.out.body.append(ir.If(test, then, orelse, stmt, set(before.values())))

    def decided_branch(self, stmt):
        """The statements of the branch of ``stmt`` taken, when its test reads only names
        known now (an unrolled loop's key, see trees.static_truth), and the branch has no
        break or continue; else None."""
        if not self.scope.structured:
            return None
        truth = self.static_truth(stmt.test)
        if truth is None:
            return None
        taken = stmt.body if truth else stmt.orelse
        if any(isinstance(n, (ast.Break, ast.Continue))
               for s in taken for n in ast.walk(s)):
            return None
        return taken

    def _merge(self, stmt, v, paths, live, existing):
        """Give user variable ``v`` one name after the if, whichever ``paths`` ran."""
        versions = [p.env.get(v) for p in paths]
        if all(x == versions[0] for x in versions):
            self.scope.env[v] = versions[0]
            return
        if live is not None and v not in live and v not in self.scope.walked:
            # not read before it is assigned again: no name after the if is needed
            self.scope.env.pop(v, None)
            return
        if any(x in self.out.structs for x in versions):
            self.scope.env[v] = self._merge_structs(stmt, v, paths, versions, existing)
            return
        self.scope.env[v] = self._join(stmt, paths, versions, existing,
                                       lambda: self.namer.version(v))

    def _merge_structs(self, stmt, v, paths, versions, existing):
        """A list of tuples made differently on the paths of an if: its list of each
        position joined as a list is (a new handle for the lists joined)."""
        structs = [self.out.structs.get(x) for x in versions]
        if any(t is None for t in structs) or len({len(t.lists) for t in structs}) != 1:
            raise self.scope.src.error(stmt, f"{v!r}, a list of tuples of values being "
                                             f"differentiated, is made differently on the paths "
                                             f"of this if, or not on all of them; make it "
                                             f"before the if")
        lists = []
        for j, parts in enumerate(zip(*(t.lists for t in structs))):
            lists.append(parts[0] if len(set(parts)) == 1 else self._join(
                stmt, paths, list(parts), existing, lambda: self.namer.fresh(f"{v}{j}")))
        handle = self.namer.version(v)
        self.out.structs[handle] = Struct(lists)
        self.spell_positions(v, lists)
        return handle

    def _join(self, stmt, paths, versions, existing, new_name):
        """One name for the ``versions`` of a value the ``paths`` of an if leave: a version
        made in a branch (renamed in the others' code), or ``new_name()`` when no branch
        made one (each took a list made before: ls = la / ls = lb)."""
        made = [x is not None and x not in existing and x in set().union(set(), *(
            ir.defined_names(s) for s in p.block)) for p, x in zip(paths, versions)]
        merged = next((x for x, m in zip(versions, made) if m), None) or new_name()
        for p, x, m in zip(paths, versions, made):
            if x is None:
                # unbound on this path in Python: None here, so later copies can read it
                append_where_falling_through(
                    p.block, [ir.Keep(ir.assign(merged, ast.Constant(None)), [merged])])
                continue
            if x == merged:
                continue
            if m:
                ir.rename(p.block, x, merged)
            else:
                append_where_falling_through(p.block, [self.copy_statement(merged, x, stmt)])
        for group in (self.out.varied_ssa, self.out.lists):
            if any(x in group for x in versions):
                group.add(merged)
        held = [self.out.holders[x] for x in versions if x in self.out.holders]
        if held:
            self.out.holders[merged] = max(held)
        if any(x is None or x in self.out.maybe_undefined for x in versions):
            self.out.maybe_undefined.add(merged)
        self.forget_views({merged, *versions})   # (assigned in several places now)
        return merged

    def copy_statement(self, target, source, node):
        """``target = source`` in generated names: the copy primitive for a value being
        differentiated, else kept as written."""
        if source in self.out.varied_ssa:
            self.out.varied_ssa.add(target)
            return ir.Op(target, ir.load(source), self.registry.special["copy"],
                         [ir.load(source)], {}, node)
        return ir.Keep(ir.assign(target, ir.load(source)), [target])

    def jump(self, stmt):
        if not self.scope.loops:
            raise self.scope.src.error(stmt, "break or continue outside a loop")
        self.exit_copies(self.scope.loops[-1])
        self.out.body.append(ir.Jump("break" if isinstance(stmt, ast.Break) else "continue", stmt))
        self.scope.terminated = True

    def exit_copies(self, carried):
        """At an exit of a loop iteration, the loop's names take the latest versions (the
        variables of the leaves of the structures it carries, those of the structures now)."""
        self.sync_carried_structures(self.scope.loop_trees[-1])
        self.check_loop_views(carried)
        self._before_the_copies(carried)
        for v, name in carried.items():
            current = self.scope.env.get(v)
            if current is None or current == name:
                continue
            before, now = self.out.structs.get(name), self.out.structs.get(current)
            if before is not None and now is not None:
                # a list of tuples given new lists: the loop's lists take them (its handle
                # has no value of its own)
                self.out.body.extend(ir.Carry(a, b) for a, b in zip(before.lists, now.lists)
                                     if a != b)
            elif before is not None or now is not None:
                raise self.scope.src.error(self.scope.src.node, f"{v!r} holds a list of tuples "
                                                                f"on some iterations of a loop "
                                                                f"and something else on others")
            else:
                self.out.body.append(ir.Carry(name, current))

    def _before_the_copies(self, carried):
        """A variable whose value now is another's loop name, which the copies at the exit
        give a new value (``d = {"w": e, "g": d["w"]}``: ``d_g`` is to take ``d_w``'s value
        of this iteration, copied before ``d_w`` takes ``e``): that value copied first, as
        Python's assignment binds them all at once."""
        renewed = {name for v, name in carried.items()
                   if self.scope.env.get(v) not in (None, name)}
        for v, name in carried.items():
            current = self.scope.env.get(v)
            if current in renewed and current != name and current not in self.out.structs:
                held = self.namer.temp()
                self.out.body.append(self.copy_statement(held, current, self.scope.src.node))
                self.scope.env[v] = held


def append_where_falling_through(block, stmts):
    """Append ``stmts`` at the end of every path through ``block`` that does not jump.

    After an ``if`` one of whose branches jumps, the code that follows belongs to the
    other branch only (the reverse sweep relies on it)."""
    if not stmts:
        return
    last = block[-1] if block else None
    if isinstance(last, ir.If) and any(isinstance(s, ir.Jump) for s in same_loop([last])):
        for branch in (last.body, last.orelse):
            if not ir.always_jumps(branch):
                append_where_falling_through(branch, [copy.copy(s) for s in stmts])
        return
    block.extend(stmts)


def same_loop(stmts):
    """IR statements of a loop body, not descending into nested loops."""
    for s in stmts:
        yield s
        if isinstance(s, ir.If):
            yield from same_loop(s.body)
            yield from same_loop(s.orelse)
