"""Run a normalized function (adcompile/ir) as it stands and see the values its names take,
to compare with what the analyses infer of them (tests/test_inferred_facts.py).

The runner is independent of the code generator: it reads the IR's statements one by one,
evaluating each expression (``ast.unparse``) in a namespace made of the user's module, the
runtime helpers the code calls and the names bound so far.
"""

import ast
from collections import defaultdict

import numpy as np

from adcompile import ir, pipeline
from adcompile.backend.helpers import RUNTIME
from adcompile.compiler import Transform
from adcompile.dispatch import ndims


class _Jump(Exception):
    def __init__(self, kind):
        self.kind = kind


class Runner:
    """Runs the IR statements of one call, recording each value a name is given."""

    def __init__(self, namespace):
        self.env = namespace
        self.seen = defaultdict(list)

    def bind(self, name, value):
        self.env[name] = value
        self.seen[name].append(value)

    def value(self, e):
        return eval(compile(ast.Expression(ast.fix_missing_locations(ir.copy_tree(e))),
                            "<ir>", "eval"), self.env)

    def block(self, body):
        for s in body:
            self.statement(s)

    def statement(self, s):
        if isinstance(s, ir.Op):
            self.bind(s.target, self.value(s.expr))
        elif isinstance(s, ir.Keep):
            module = ast.fix_missing_locations(ast.Module([ir.copy_tree(s.stmt)], []))
            exec(compile(module, "<ir>", "exec"), self.env)
            for name in s.defines:
                if name in self.env:
                    self.seen[name].append(self.env[name])
        elif isinstance(s, ir.If):
            self.block(s.body if self.value(s.test) else s.orelse)
        elif isinstance(s, ir.Loop):
            self.loop(s)
        elif isinstance(s, ir.Jump):
            raise _Jump(s.kind)
        elif isinstance(s, ir.Carry):
            self.env[s.target] = self.env[s.source]
        else:
            self.list_statement(s)

    def list_statement(self, s):
        env = self.env
        if isinstance(s, ir.ListNew):
            items = [self.value(e) for e in s.elements]
            env[s.target] = tuple(items) if s.is_tuple else items
        elif isinstance(s, ir.ListAppend):
            env[s.target].append(self.value(s.value))
        elif isinstance(s, ir.ListGet):
            held = env[s.source]
            self.bind(s.target, held.pop() if s.pop else held[self.value(s.index)])
        elif isinstance(s, ir.ListSet):
            env[s.target][self.value(s.index)] = self.value(s.value)
        elif isinstance(s, ir.ListAdd):
            k = self.value(s.index)
            env[s.target][k] = env[s.target][k] + self.value(s.value)
        else:
            raise NotImplementedError(type(s).__name__)

    def loop(self, s):
        steps = iter(self.value(s.iterable)) if s.kind == "for" else None
        while True:
            if steps is not None:
                try:
                    self.bind(s.index, next(steps))
                except StopIteration:
                    return
            elif not self.value(s.test):
                return
            try:
                self.block(s.body)
            except _Jump as jump:
                if jump.kind == "break":
                    return


def normalized_with_facts(f, args, wrt=0):
    """(fn, facts, namespace) for a call of ``f`` with ``args``: the normalized function
    after the passes on the IR (what the reverse pass reads), the facts
    (``pipeline._shape_facts``: is_number, ndim_of, full_of, shape_of) inferred for the
    argument kinds of ``args``, and the namespace its code runs in."""
    transform = Transform(f, wrt)
    key = ndims(args)
    made = transform.for_key(key)
    made._require_normal()   # (a TransformError the transform deferred to the first call)
    target = made.target(key, "vjp", made.aliases)
    fn = made.normal
    for step in pipeline.IR_PASSES:
        fn = step(fn, target)
    namespace = dict(f.__globals__)
    namespace.update((n, c.cell_contents) for n, c in
                     zip(f.__code__.co_freevars, f.__closure__ or ()))
    namespace.update({alias: RUNTIME[name] for name, alias in made.aliases.items()
                      if name in RUNTIME})
    namespace.update(fn.extra_globals)
    return fn, pipeline._shape_facts(fn, target)[:4], namespace


def values_of(fn, args, namespace):
    """Name -> the values it took when ``fn`` (normalized) ran with ``args``."""
    runner = Runner(dict(namespace))
    for p, a in zip(fn.params, args):
        runner.bind(p, a)
    runner.block(fn.body)
    return runner.seen


def contradictions(f, args, wrt=0):
    """What the analyses say of a name of ``f``'s normalized code that a run with ``args``
    contradicts: an ndim, a number (a Python or NumPy scalar), a value with no axis of
    length 1 (full), or a symbolic shape (in terms of the arguments' axes)."""
    fn, (is_number, ndim_of, full_of, shape_of), namespace = normalized_with_facts(f, args, wrt)
    shapes = {p: np.shape(a) for p, a in zip(fn.params, args)}
    found = []
    for name, values in values_of(fn, args, namespace).items():
        e = ir.load(name)
        arrays = [v for v in values if isinstance(v, (np.ndarray, np.generic, float, int))]
        n, full, shape = ndim_of(e), full_of(e), shape_of(e)
        for v in arrays:
            if n is not None and np.ndim(v) != n:
                found.append(f"{name}: ndim {n}, ran {np.ndim(v)}")
            if full and 1 in np.shape(v):
                found.append(f"{name}: full, ran with shape {np.shape(v)}")
            if shape is not None and _concrete(shape, shapes) != np.shape(v):
                found.append(f"{name}: shape {shape}, ran {np.shape(v)}")
            if is_number(e) and isinstance(v, np.ndarray):
                found.append(f"{name}: a number, ran an array of shape {v.shape}")
    return found


def _concrete(shape, shapes):
    """A symbolic shape (``(p, k, c)`` per axis, or a known length, see analysis.shapes)
    for arguments of ``shapes``."""
    return tuple(axis if type(axis) is int else max(0, shapes[axis[0]][axis[1]] + axis[2])
                 for axis in shape)
