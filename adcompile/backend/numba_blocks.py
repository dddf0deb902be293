"""One pass over a data matrix for its product and its transposed product (backend="numba").

The gradient of a model linear in the rows of its data (logistic, Poisson or least-squares
regression) reads the matrix ``X`` twice: ``z = X.dot(w)`` in the forward sweep and
``w_bar = X.T.dot(z_bar)`` in the backward sweep, with only elementwise work on vectors of
one entry per row of ``X`` between them. Where ``X`` is larger than the processor's caches,
both products wait on memory. ``blocked`` rewrites such code to walk ``X`` in blocks of
rows that stay in the cache (``BLOCK_BYTES``): for each block, its rows of the product,
the elementwise work on them and the block's part of the transposed product, added to the
parts before. Numbers the code sums the rows to (``unbroadcast(z_bar, b)`` for a number
``b``, ``np.sum``, ``np.mean``: the sum, divided once after) are added up over the blocks
the same way. ``X`` is read from memory once; sums are added in another order, so values
may differ in the last bits.

Only straight-line code (no loop, no branch) for arguments of known dimensions is
rewritten, and only where each statement between the two products is a *row* statement
(a vector with one entry per row of ``X``: ``X.dot(w)`` of a vector ``w``, and
elementwise arithmetic, comparisons, NumPy ufuncs and the runtime's elementwise helpers
of row vectors, numbers and vectors), a statement that reads no row vector and writes
into no array (run before the blocks) or one that reads the sums (run after them); and
no row vector is read but by the sums. Anything else leaves the code as it was. When it
runs, the rewritten code checks that ``X`` has rows and that each vector it reads row by
row has one entry per row of ``X``; otherwise (a vector NumPy would broadcast, or a wrong
length that NumPy would refuse) it runs the code as it was."""

import ast

from .. import ir
from .numba_lowering import _fresh_names
from ..ir.parsing import parse

#: how many bytes of the matrix one block holds: a block stays in a core's L2 cache
BLOCK_BYTES = 1 << 18

NUMBER, VECTOR, ROWS, WHOLE, LATE, OTHER = ("number", "vector", "rows", "whole", "late",
                                            "other")
#: the ufuncs taken row by row; and the helpers that work entry by entry
_UFUNCS = frozenset((
    "add", "subtract", "multiply", "divide", "true_divide", "negative", "power", "square",
    "sqrt", "exp", "expm1", "log", "log1p", "tanh", "sinh", "cosh", "sin", "cos", "abs",
    "absolute", "logaddexp", "maximum", "minimum", "sign", "reciprocal"))
_IN_PLACE = frozenset(("multiply", "add", "subtract", "divide"))


class _NotBlocked(Exception):
    """The code is not of the form ``blocked`` rewrites."""


def blocked(text, key, aliases, numpy="np"):
    """The gradient ``text`` of a function whose value is a number (its seed ``out_bar`` a
    number) with its products over a data matrix done in blocks of rows (see the module's
    docstring), or ``text`` itself. ``key``: the kind of each of the function's positional
    arguments (dispatch.ndims); ``aliases``: runtime helper -> its name in the code."""
    fn = parse(text).body[0]
    ndims = {a.arg: _ndim(n) for a, n in zip(fn.args.args, key)}
    ndims.setdefault("out_bar", 0)
    try:
        plan = _Plan(fn, ndims, {v: k for k, v in aliases.items()}, numpy)
        fn.body = plan.rewritten()
    except _NotBlocked:
        return text
    return ast.unparse(ast.fix_missing_locations(fn)) + "\n"


def _ndim(kind):
    if kind == 0 and not isinstance(kind, bool):
        return 0
    return kind[0] if isinstance(kind, tuple) else None


def _combine(kinds):
    """The kind of an elementwise combination of values of ``kinds``."""
    kinds = set(kinds) - {NUMBER}
    if not kinds:
        return NUMBER
    if kinds == {VECTOR}:   # (one dimension still; read row by row, its length is checked)
        return VECTOR
    if OTHER in kinds or ROWS in kinds and kinds & {WHOLE, LATE}:
        return OTHER
    if ROWS in kinds:
        return ROWS
    if LATE in kinds:
        return LATE
    return WHOLE


class _Plan:
    """The statements of ``fn`` sorted into those before the blocks, those the blocks run
    (row statements and the sums over the rows) and those after; ``rewritten()`` puts
    them together."""

    def __init__(self, fn, ndims, helpers, numpy):
        self.ndims, self.helpers, self.numpy = ndims, helpers, numpy
        self.kinds = {p: {0: NUMBER, 1: VECTOR}.get(n, OTHER if n is None else WHOLE)
                      for p, n in ndims.items()}
        self.matrix = None          # the data matrix: a parameter of two dimensions
        self.sums = []              # (fresh name, expression) for each sum over the rows
        self.taken = ir.names_mentioned([fn]) | {a.arg for a in fn.args.args}
        self.fresh = {stem: self.fresh_name(stem) for stem in ("n_rows", "step", "start")}
        body = fn.body
        self.docstring = body[:1] if body and isinstance(body[0], ast.Expr) \
            and isinstance(body[0].value, ast.Constant) else []
        self.sorted, reading = [], []   # (the statements reading row vectors, sums too)
        for stmt in body[len(self.docstring):]:
            sums = len(self.sums)
            self.sorted.append(self._sort(stmt))
            if self.sorted[-1][1] == ROWS or len(self.sums) > sums:
                reading.append(len(self.sorted) - 1)
        if not reading or not any(_transposed(e, self.matrix) for _, e in self.sums):
            raise _NotBlocked   # (nothing to gain: X is read once already)
        self.first, self.last = reading[0], reading[-1]
        if any(kind == OTHER for _, kind in self.sorted[self.first:self.last + 1]):
            raise _NotBlocked   # (a statement the blocks can run neither before nor after)

    # -- sorting the statements ---------------------------------------------------------

    def _sort(self, stmt):
        """(the statement, its sums over the rows replaced by fresh names, and its kind)."""
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if name in self.kinds:
                raise _NotBlocked   # (a name assigned twice)
            kind = self.kind(stmt.value)
            if kind != ROWS:
                self._no_rows_read(stmt)
            self.kinds[name] = kind
            return stmt, kind
        self._no_rows_read(stmt)
        return stmt, LATE if isinstance(stmt, ast.Return) else OTHER

    def _no_rows_read(self, stmt):
        """Take the sums over the rows out of ``stmt``; then it must read no row vector."""
        _Sums(self).visit(stmt)
        rows = {n for n, kind in self.kinds.items() if kind == ROWS}
        if ir.names_read(stmt) & rows:
            raise _NotBlocked   # (a row vector read other than row by row)

    # -- the kind of an expression ----------------------------------------------------------

    def kind(self, node):
        """NUMBER, VECTOR (an argument of one dimension), ROWS (one entry per row of the
        data matrix), WHOLE (an array not made of row vectors), LATE (made of sums over the
        rows) or OTHER."""
        if isinstance(node, ast.Constant):
            return NUMBER if type(node.value) in (int, float) else OTHER
        if isinstance(node, ast.Name):
            return self.kinds.get(node.id, OTHER)
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.MatMult):
            return _combine((self.kind(node.left), self.kind(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return _combine((self.kind(node.operand),))
        if isinstance(node, ast.Compare) and len(node.ops) == 1 \
                and not isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.In, ast.NotIn)):
            return _combine((self.kind(node.left), self.kind(node.comparators[0])))
        if isinstance(node, ast.Subscript) and _shape_entry(node):
            kind = self.kind(node.value.value)   # (a row vector's one length, the count)
            return OTHER if kind == OTHER or kind == ROWS and node.slice.value not in (0, -1) \
                else NUMBER
        if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred)
                                                  for a in node.args):
            return self._call_kind(node)
        return OTHER

    def _call_kind(self, node):
        if self.rows_product(node):
            return ROWS
        if _method(node, "dot") and [self.kind(a) for a in (node.func.value, node.args[0])] \
                == [VECTOR, VECTOR]:
            return NUMBER   # (the inner product of two vectors)
        if self.summed(node) is not None:
            return LATE
        args, keywords = node.args, {k.arg for k in node.keywords}
        helper = self._helper(node.func)
        if helper in ("reduced_size", "len") and len(args) == 1 and not keywords:
            return NUMBER if self.kind(args[0]) != OTHER else OTHER
        if keywords - ({"out"} if helper == "unreduce_times" else set()) or any(
                self.kind(k.value) not in (ROWS, VECTOR) for k in node.keywords):
            return OTHER
        kinds = [self.kind(a) for a in args]
        if helper in ("ufunc", "stable_sigmoid") and args:
            return _combine(kinds)
        if helper == "filled_like" and len(args) >= 2:   # (x's shape; the others: its dtype)
            if ROWS not in kinds:
                return _combine(kinds)
            return ROWS if kinds[0] in (ROWS, VECTOR) and kinds[1] == NUMBER \
                and set(kinds) <= {ROWS, VECTOR, NUMBER} else OTHER
        # (helpers that may write into an argument: only in a row statement, which keeps
        # its place among the others)
        if helper == "in_place" and len(args) == 3 and self._ufunc(args[0]) in _IN_PLACE:
            return ROWS if _combine(kinds[1:]) == ROWS else OTHER
        if helper == "unbroadcast" and len(args) == 2:   # (one row vector to another)
            return ROWS if kinds == [ROWS, ROWS] else OTHER
        if helper == "unreduce_times" and kinds[2:] == [ROWS] and kinds[0] == NUMBER:
            return _combine(kinds[:2] + [ROWS])
        return OTHER

    def rows_product(self, node):
        """Whether ``node`` is ``X.dot(w)``: the data matrix (the first parameter of two
        dimensions found so) times an argument of one dimension."""
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "dot" and len(node.args) == 1
                and not node.keywords and isinstance(func.value, ast.Name)
                and isinstance(node.args[0], ast.Name)
                and self.kinds.get(node.args[0].id) == VECTOR
                and self.ndims.get(func.value.id) == 2):
            return False
        self.matrix = self.matrix or func.value.id
        return self.matrix == func.value.id

    def summed(self, node):
        """The row vector whose sum over the rows ``node`` is, if it is one (``X.T.dot(r)``,
        ``unbroadcast(r, b)`` for a number b, ``np.sum(r)``; ``np.mean(r)``: its sum,
        divided by the count after the blocks), else None."""
        if not isinstance(node, ast.Call) or node.keywords \
                or len(node.args) not in (1, 2) or self.kind(node.args[0]) != ROWS:
            return None
        if len(node.args) == 1 and _transposed(node, self.matrix):
            return node.args[0]
        helper = self._helper(node.func)
        if helper == "unbroadcast" and len(node.args) == 2 \
                and self.kind(node.args[1]) == NUMBER \
                or helper in ("sum", "mean") and len(node.args) == 1:
            return node.args[0]
        return None

    def _helper(self, func):
        """What is called: "ufunc" (a NumPy ufunc of _UFUNCS), "sum" and "mean" (NumPy's),
        "len", a runtime helper's canonical name; else None."""
        if isinstance(func, ast.Name):
            return "len" if func.id == "len" else self.helpers.get(func.id)
        name = self._ufunc(func)
        return "ufunc" if name in _UFUNCS else name if name in ("sum", "mean") else None

    def fresh_name(self, stem):
        name = next(_fresh_names(stem, self.taken))
        self.taken.add(name)
        return name

    def _ufunc(self, node):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == self.numpy:
            return node.attr
        return None

    # -- the rewritten code ---------------------------------------------------------------

    def rewritten(self):
        """The function's body: the statements before the first that reads a row vector,
        and those between it and the last that read no row vector or sum; the blocks (or,
        where the arguments do not allow them, the row statements and sums as they were);
        the statements between that read sums; the rest."""
        fresh = self.fresh
        middle = self.sorted[self.first:self.last + 1]
        before = [s for s, _ in self.sorted[:self.first]] + [
            s for s, kind in middle if kind not in (ROWS, LATE)]
        rows = [s for s, kind in middle if kind == ROWS]
        after = [s for s, kind in middle if kind == LATE] + [
            s for s, _ in self.sorted[self.last + 1:]]
        plain = rows + [ir.assign(name, e) for name, e in self.sums]
        blocks, sliced = self._blocks(rows, fresh)
        n_rows = ir.load(fresh["n_rows"])
        tests = [ast.Compare(n_rows, [ast.Gt()], [ast.Constant(0)])] + [
            ast.Compare(_shape(p, 0), [ast.Eq()], [n_rows]) for p in sliced]
        test = ast.BoolOp(ast.And(), tests) if len(tests) > 1 else tests[0]
        count = ir.assign(fresh["n_rows"], _shape(self.matrix, 0))
        return self.docstring + before + [count, ast.If(test, blocks, plain)] + after

    def _blocks(self, rows, fresh):
        """The loop over blocks of rows, and the vector arguments it reads row by row."""
        names = {self.matrix: self.fresh_name(f"{self.matrix}_rows")}
        inside = _InBlock(self, names, fresh["n_rows"])
        body = [inside.visit(ir.copy_tree(s)) for s in rows]
        sums = [(name, inside.visit(ir.copy_tree(e))) for name, e in self.sums]
        start, step = ir.load(fresh["start"]), ir.load(fresh["step"])
        window = ast.Slice(start, ast.BinOp(start, ast.Add(), step))
        cut = [ir.assign(new, ast.Subscript(ir.load(old), window, ast.Load()))
               for old, new in names.items()]
        # (rows of a matrix in another order copied to C order, in the cache: numba's
        # products of arrays of unknown order do not call BLAS)
        cut[0].value = ir.call(ast.Attribute(ir.load(self.numpy), "ascontiguousarray",
                                             ast.Load()), cut[0].value)
        first = [ir.assign(name, e) for name, e in sums]
        later = [ast.AugAssign(ast.Name(name, ast.Store()), ast.Add(), e) for name, e in sums]
        added = ast.If(ast.Compare(start, [ast.Eq()], [ast.Constant(0)]), first, later)
        loop = ast.For(ast.Name(fresh["start"], ast.Store()),
                       ir.call(ir.load("range"), ast.Constant(0), ir.load(fresh["n_rows"]),
                               step), cut + body + [added], [])
        per_row = ast.BinOp(_shape(self.matrix, 1), ast.Mult(),
                            ast.Attribute(ir.load(self.matrix), "itemsize", ast.Load()))
        size = ir.assign(fresh["step"], ir.call(ir.load("max"), ast.Constant(1), ast.BinOp(
            ast.Constant(BLOCK_BYTES), ast.FloorDiv(),
            ir.call(ir.load("max"), ast.Constant(1), per_row))))
        return [size, loop], [p for p in names if p != self.matrix]


class _Sums(ast.NodeTransformer):
    """Each sum over the rows in a statement replaced by a fresh name (``plan.sums``)."""

    def __init__(self, plan):
        self.plan = plan

    def visit_Call(self, node):
        plan = self.plan
        rows = plan.summed(node)
        if rows is None:
            return self.generic_visit(node)
        name = plan.fresh_name("part")
        if plan._helper(node.func) != "mean":
            plan.sums.append((name, node))
            return ir.load(name)
        total = ir.call(ast.Attribute(ir.load(plan.numpy), "sum", ast.Load()), rows)
        plan.sums.append((name, total))   # (a mean: the sum over the blocks, then divided)
        return ast.BinOp(ir.load(name), ast.Div(), ir.load(plan.fresh["n_rows"]))


class _Counts(ast.NodeTransformer):
    """In a number: the count of a row vector's entries (``len(z)``, ``reduced_size(z)``,
    ``z.shape[0]``) as that of the whole vector, ``n_rows``; nothing else changed."""

    def __init__(self, plan, n_rows):
        self.plan, self.n_rows = plan, n_rows

    def visit_Call(self, node):
        if self.plan._helper(node.func) in ("len", "reduced_size") \
                and self.plan.kind(node.args[0]) == ROWS:
            return ir.load(self.n_rows)
        return self.generic_visit(node)

    def visit_Subscript(self, node):
        if _shape_entry(node) and self.plan.kind(node.value.value) == ROWS:
            return ir.load(self.n_rows)
        return self.generic_visit(node)


class _InBlock(_Counts):
    """A row statement or sum as the loop over blocks runs it: the data matrix and each
    vector read entry by entry as their rows of the block (``names``: the name -> the name
    of its rows, the vectors added as they are met); numbers as they were, but for the
    counts of row vectors (_Counts)."""

    def __init__(self, plan, names, n_rows):
        super().__init__(plan, n_rows)
        self.names = names

    def visit(self, node):
        if isinstance(node, ast.expr) and not isinstance(node, ast.Name) \
                and self.plan.kind(node) == NUMBER:   # (w.dot(w), len(y): all of w and y)
            return _Counts(self.plan, self.n_rows).visit(node)
        return super().visit(node)

    def visit_Call(self, node):
        plan = self.plan
        if plan.rows_product(node):   # (X.dot(w): the block's rows of X, all of w)
            node.func.value = ir.load(self.names[plan.matrix])
            return node
        if _transposed(node, plan.matrix):
            node.func.value.value = ir.load(self.names[plan.matrix])
            node.args = [self.visit(node.args[0])]
            return node
        return self.generic_visit(node)

    def visit_Name(self, node):
        if self.plan.kinds.get(node.id) != VECTOR:
            return node
        if node.id not in self.names:
            self.names[node.id] = self.plan.fresh_name(f"{node.id}_rows")
        return ir.load(self.names[node.id])


def _method(node, name):
    """Whether ``node`` is a call ``a.name(b)`` of one positional argument."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == name and len(node.args) == 1 and not node.keywords \
        and not isinstance(node.args[0], ast.Starred)


def _transposed(node, matrix):
    """Whether ``node`` is ``X.T.dot(r)`` for the data matrix X."""
    func = node.func if isinstance(node, ast.Call) else None
    return matrix is not None and isinstance(func, ast.Attribute) and func.attr == "dot" \
        and isinstance(func.value, ast.Attribute) and func.value.attr == "T" \
        and isinstance(func.value.value, ast.Name) and func.value.value.id == matrix


def _shape_entry(node):
    """Whether ``node`` is ``a.shape[k]`` for a name ``a`` and a constant k."""
    return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
        and node.value.attr == "shape" and isinstance(node.value.value, ast.Name) \
        and isinstance(node.slice, ast.Constant) and type(node.slice.value) is int


def _shape(name, axis):
    return ast.Subscript(ast.Attribute(ir.load(name), "shape", ast.Load()),
                         ast.Constant(axis), ast.Load())
