"""The passes after the reverse pass, each from one ``Sweeps`` to the next.

The reverse pass (reverse.py) gives the backward sweep, with a ``tape.Restore``
where a piece of code in a loop needs values back, and the tape's record of what
each piece saves. These passes clean the backward sweep, make the forward sweep
(the normalized function's statements with a ``tape.Save`` after each piece that
saves), lower the tape by a save policy, and reorganise loops. pipeline.py lists
them in order. The forward sweep's Python is forward_statements.py's; what the passes
need to know of the function and its names, sweep_facts.py's.

Each pass returns new ``Sweeps`` and leaves the ones it is given as they were: it
works on a copy (``sweep_pass``) — but for sweeps marked ``owned``, which
pipeline.run's passes hand on to the next alone: copying them before each pass cost
about as much as the passes (a third of a 1,000-statement function's transformation).
"""

import ast
import functools
from dataclasses import dataclass, replace

from .. import ir, optimize
from . import forms
from .checkpoints import Checkpoint
from .forward_statements import python_statements, with_saves
from .save_policies import lower
from .sweep_facts import (FLOAT_FUNCTIONS, elementwise_definitions, known_ndims, may_rerun,
                          owned_arrays, same_shape_names)
from ..optimize.fission import hoist_inputs as _hoist_inputs, split_reversed


@dataclass
class Sweeps:
    """Reverse-mode code between two passes."""

    fn: object            # ir.NormalFunction the forward sweep is made from
    forward: list         # ast statements and tape.Save nodes ([] before forward_sweep)
    backward: list        # ast statements and tape.Restore nodes
    outputs: list         # the returned value expressions
    grads: list           # one expression per wrt parameter
    tape: object          # tape.Tape
    context: object       # reverse.Context: names, helpers, ndims, options
    step_loops: list = None   # loops lowered to per-step lists (save_policies.Lowered), for fission
    ndims: dict = None    # name -> ndim of the names of the sweeps, where known
    owned: bool = False   # no one else holds what these hold: a pass may change them
    # the names of the in-place form of adjoint arrays (forms.InPlaceNames; None once chosen)
    in_place_names: object = None

    def copy(self, changes):
        """Sweeps whose fields ``changes`` ("forward", "backward", ..., "tape", "namer") later
        code may change without changing these (the other fields are shared)."""
        memo, fields = {}, {}
        for name in changes:
            if name == "tape":
                fields[name] = self.tape.copy()
            elif name == "namer":
                fields["context"] = replace(self.context, namer=self.context.namer.copy())
            else:
                fields[name] = ir.copy_tree(getattr(self, name), memo)
        return replace(self, **fields)

    @property
    def live(self):
        """Names read after the sweeps: the gradients and, if returned, the value."""
        return ir.reads(self.grads) | (ir.reads(self.outputs) if self.context.return_value
                                       else set())


def sweep_pass(*changes, idle=None):
    """A pass from a function that changes the fields ``changes`` of the sweeps it is
    given: it is given a copy of those (copying all would cost as much as the passes).
    Where ``idle(sw)``, the pass has nothing to do: it returns the sweeps it is given."""
    def make(run):
        @functools.wraps(run)
        def step(sw):
            if idle is not None and idle(sw):
                return sw
            return run(sw if sw.owned else sw.copy(changes))
        return step
    return make


@sweep_pass("backward")
def update_lists_in_place(sw):
    """Write the statements of the backward sweep that have an in-place form in that form
    (for code not differentiated again; see forms.py): adjoint lists made by a
    comprehension, pieces added by ``add_pieces``, a loop's outer products summed once."""
    return replace(sw, backward=forms.lower_in_place(sw.backward))


@sweep_pass("backward", "grads", "tape")
def update_arrays_in_place(sw):
    """Write the updates of adjoint arrays that have an in-place form in that form (for code
    not differentiated again; see forms.py): ``x_bar += e`` and ``x_bar[1:] += g`` into an
    array the adjoint has to itself, no copy of it, no ``as_gradient`` for a gradient that
    is its own array; the adjoints get the names that form gives them."""
    backward = sw.tape.choose_in_place(forms.lower_arrays_in_place(sw.backward))
    names = sw.in_place_names
    if names is None:
        return replace(sw, backward=backward)
    names.rename(backward)
    names.rename(sw.grads)
    return replace(sw, backward=backward, context=replace(sw.context, namer=names.namer.copy()),
                   in_place_names=None)


@sweep_pass("backward")
def keep_differentiable(sw):
    """Keep the backward sweep in the form adcompile can differentiate again (see
    forms.py), refusing a step that has only an in-place form."""
    return replace(sw, backward=forms.keep_differentiable(sw.backward, sw.fn.source),
                   in_place_names=None)


@sweep_pass("backward")
def prune_backward(sw):
    """Drop backward statements whose results nothing reads."""
    return replace(sw, backward=optimize.prune_backward(sw.backward, ir.reads(sw.grads)))


@sweep_pass("backward")
def fuse_products(sw):
    """Fold a broadcast or a product of adjoints into the operation that uses it."""
    aliases = sw.context.aliases
    return replace(sw, backward=optimize.fuse_products(sw.backward, aliases,
                                                       same_shape_names(sw.fn)))


@sweep_pass("backward")
def free_shape_reads(sw):
    """Where an adjoint reads a forward value only for its shape and precision (a sum's),
    read instead the values it is computed from elementwise, so that it is not computed."""
    ctx, aliases = sw.context, sw.context.aliases
    defined = elementwise_definitions(sw.fn)
    kept = sw.live | set(sw.fn.params)

    def same_shape(t, w):
        t, w = ir.load(t), ir.load(w)
        n = ctx.ndim_of(t)
        if n is None or ctx.ndim_of(w) != n:
            return False
        shape = ctx.shape_of(t) if ctx.shape_of is not None else None
        return ctx.full_of(w) is True or shape is not None and ctx.shape_of(w) == shape

    return replace(sw, backward=optimize.free_shape_reads(
        sw.backward, lambda name: defined.get(name), kept, same_shape,
        tuple(aliases[h] for h in ("filled_like", "reduced_size", "unreduce",
                                   "unreduce_times"))))


@sweep_pass("backward")
def factor_products(sw):
    """Take a factor two products share out of their sum (``a * u - a * w``: one product)."""
    kept = ir.reads(sw.grads) | ir.reads(sw.fn.outputs)
    aliases = sw.context.aliases

    def numeric_call(call):   # (a runtime helper, a NumPy or math function giving floats)
        f = call.func
        return isinstance(f, ast.Name) and f.id == aliases["stable_sigmoid"] \
            or isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
            and f.attr in FLOAT_FUNCTIONS \
            and f.value.id in (aliases.get("np"), aliases.get("math"))

    return replace(sw, backward=optimize.factor_products(sw.backward, kept, numeric_call))


@sweep_pass("backward")
def reuse_dead_arrays(sw):
    """Let an adjoint take over an array nothing reads any more, updating it in place."""
    owned = owned_arrays(sw.fn, sw.context.aliases)
    kept = ir.reads(sw.grads) | ir.reads(sw.fn.outputs)
    return replace(sw, backward=optimize.reuse_dead_arrays(sw.backward, owned, kept,
                                                          sw.context.aliases))


@sweep_pass("backward")
def update_in_place(sw):
    """Write an elementwise product or sum into an adjoint array the backward sweep made and
    reads nowhere else (``in_place``, which checks that the result fits)."""
    ctx, aliases = sw.context, sw.context.aliases

    def is_array(name):
        n = ctx.ndim_of(ir.load(ctx.namer.bar_of.get(name, name)))
        return n is not None and n > 0

    kept = ir.reads(sw.grads) | ir.reads(sw.outputs)
    fresh = [aliases[h] for h in ("filled_like", "zeros_like", "unreduce_times")]
    return replace(sw, backward=optimize.update_in_place(
        sw.backward, is_array, kept, aliases["np"], aliases["in_place"], fresh))


@sweep_pass("backward", "tape")
def prune_tape(sw):
    """Save only what the backward sweep reads back, and once per iteration: a value that a
    later piece of the same iteration saves unchanged is not saved again."""
    backward = _keep_read(sw.tape, sw.backward, sw.grads)
    if not sw.tape.saves and not any(isinstance(s, ast.For) for s in ir.walk_statements(
            backward)):   # (nothing saved; pruning code without loops again keeps it all)
        return replace(sw, backward=backward)
    sw.tape.drop_repeated()
    return replace(sw, backward=_keep_read(sw.tape, backward, sw.grads))


def _keep_read(the_tape, backward, grads):
    """Drop the saves nothing reads back, and the backward code that only read them (a
    reversed loop left with nothing to do), until nothing changes."""
    while True:
        before = {key: list(names) for key, names in the_tape.saves.items()}
        backward = the_tape.keep_read(backward)
        backward = optimize.prune_backward(backward, ir.reads(grads))
        if the_tape.saves == before:
            return backward


@sweep_pass("namer")
def forward_sweep(sw):
    """The forward sweep: the statements of the function that the backward sweep or the
    value needs, with the tape's saves; the value is kept where the backward sweep
    overwrites it (it restores loop variables)."""
    fn, ctx = sw.fn, sw.context
    live = ir.reads_outside_own_loops(sw.backward) | ir.reads(sw.grads)
    outputs, keep_value = list(fn.outputs), []
    if ctx.return_value:
        overwritten = ir.assigns(sw.backward)
        for i, value in enumerate(outputs):
            if isinstance(value, ast.Name) and value.id in overwritten:
                name = ctx.namer.fresh("value")
                keep_value.append(ir.assign(name, value))
                outputs[i] = ir.load(name)
        live |= ir.reads(fn.outputs)
    body = optimize.prune_forward(with_saves(fn.body, sw.tape, []), live)
    kept = live | {n for names in sw.tape.saves.values() for n in names}
    forward = python_statements(body, kept) + keep_value
    return replace(sw, forward=forward, outputs=outputs)


@sweep_pass("forward")
def fuse_temporaries(sw):
    """Put single-use temporaries of the forward sweep back into the expression using them."""
    live = ir.reads_outside_own_loops(sw.backward) | sw.live
    temps = set(sw.context.namer.temps) - optimize.with_effects(sw.fn.body)
    forward = optimize.fuse_blocks(sw.forward, temps, live)
    return replace(sw, forward=forward)


@sweep_pass("forward", "backward", "outputs", "grads", "namer")
def renumber(sw):
    """Number the temporaries that remain t1, t2, ... in order of appearance."""
    ndims = sw.ndims if sw.ndims is not None else known_ndims(sw)
    rename = optimize.renumber_temps(sw.forward + sw.backward, sw.outputs, sw.context.namer)
    return replace(sw, ndims={rename(n): d for n, d in ndims.items()})


@sweep_pass("forward", "backward", idle=lambda sw: not sw.ndims)
def dot_products(sw):
    """Write the products of arrays of one or two known dimensions ``a.dot(b)``: the same
    values, without the dispatch of ``@`` (optimize/dots.py)."""
    numpy_name = sw.context.aliases["np"]
    return replace(sw, forward=optimize.dot_products(sw.forward, sw.ndims, numpy_name),
                   backward=optimize.dot_products(sw.backward, sw.ndims, numpy_name))


@sweep_pass("forward", "backward", "outputs", "grads")
def merge_copies(sw):
    """Merge the copies ``lengthscale = t1``, ``v_3 = v_2`` into the names they copy, where
    each of the two is bound once (optimize/copies.py)."""
    params = set(sw.fn.params) | {"out_bar"} | set(sw.fn.extra_globals)
    merged = optimize.merge_copies([sw.forward, sw.backward], sw.outputs + sw.grads, params)
    ndims = {merged.get(n, n): d for n, d in (sw.ndims or {}).items()}
    return replace(sw, ndims=ndims if sw.ndims is not None else None)


@sweep_pass("forward", "backward", "outputs", "grads", "namer", idle=lambda sw: optimize.numbered(
    sw.forward + sw.backward, sw.outputs, sw.context.namer))
def renumber_again(sw):
    """Number the temporaries again after loop fission and hoisting, which make and drop
    some (where they changed nothing, the sweeps are numbered already)."""
    optimize.renumber_temps(sw.forward + sw.backward, sw.outputs, sw.context.namer)
    return sw


@sweep_pass("forward", "backward", "namer")
def local_math_functions(sw):
    """Read the ``math`` functions loops call once, into local names (``sin = math.sin``)."""
    ctx = sw.context
    if "math" not in ctx.aliases:   # (code that calls no math function)
        return sw
    def taken():   # (asked only where a loop calls a math function)
        return ir.names_mentioned(sw.forward + sw.backward + sw.outputs + sw.grads) \
            | set(ctx.aliases.values()) | set(sw.fn.extra_globals) | set(sw.fn.params)

    forward, backward = optimize.local_math_functions(sw.forward, sw.backward,
                                                      ctx.aliases["math"], ctx.namer, taken)
    return replace(sw, forward=forward, backward=backward)


@sweep_pass("forward", "backward", "namer")
def lower_tape(sw):
    """Lower the Save/Restore nodes by the context's save policy."""
    ctx = sw.context
    checkpoint = None if ctx.checkpoint is None else Checkpoint(
        ctx.checkpoint, may_rerun(sw.fn), frozenset(sw.live), ctx.aliases["math"],
        ctx.aliases["outer_sum"])
    lowered = lower(sw.forward, sw.backward, ctx.namer, ctx.save_policy, checkpoint)
    return replace(sw, forward=lowered.forward, backward=lowered.backward,
                   step_loops=lowered.step_loops)


@sweep_pass("forward", "backward", "step_loops", "namer", idle=lambda sw: not sw.step_loops)
def loop_fission(sw):
    """Split each reversed loop over per-step lists into batched array code and the rest."""
    ctx = sw.context
    forward, backward = split_reversed(sw.forward, sw.backward, sw.step_loops or [], sw.ndims,
                                       ctx.aliases, ctx.namer,
                                       ir.reads(sw.grads) | ir.reads(sw.outputs))
    return replace(sw, forward=forward, backward=backward)


@sweep_pass("forward", "namer",
            idle=lambda sw: not any(isinstance(s, ast.For) for s in sw.forward))
def hoist_inputs(sw):
    """Batch, before each forward loop, what its body computes from values it does not
    change."""
    ctx = sw.context
    later = sw.backward + [ast.Expr(e) for e in sw.outputs + sw.grads]
    forward = _hoist_inputs(sw.forward, sw.ndims, ctx.aliases, ctx.namer, later)
    return replace(sw, forward=forward)
