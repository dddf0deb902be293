"""The construct catalog: every statement and expression node of the running Python.

Each ``ast.stmt`` and ``ast.expr`` subclass (and each operator) found in ``ast``'s
namespace must appear in ``CASES`` in a function that is either

- SUPPORTED: its gradient equals central finite differences (``assert_grad``), or
- REJECTED: ``ad.grad`` raises ``adcompile.TransformError`` naming the file, the
  line marked ``# ERR`` in the case and, in its explanation, the construct.

A new Python version's node fails ``test_every_node_class_is_catalogued`` until a
case for it is added here. Each case's source is written to a real module file
(adcompile reads source with ``inspect``), so syntax a Python version lacks is
only written for the versions that have it.
"""

import ast
import importlib.util
import itertools
import re
import sys
import textwrap
from dataclasses import dataclass

import numpy as np
import pytest

import adcompile as ad
from tests.conftest import assert_grad

SUPPORTED = "supported"
REJECTED = "rejected"

HEADER = '''\
import math

import numpy as np

SCALE = 2.0


class Twice:
    def __call__(self, v):
        return 2.0 * v


TWICE = Twice()
VECTORIZED = np.vectorize(lambda v: 2.0 * v)   # (NumPy's object: no rule)


def helper(v):
    return v * v + 1.0


def make_counter():
    return 0
'''


@dataclass
class Case:
    nodes: tuple          # the ast class names this case exercises
    kind: str             # SUPPORTED or REJECTED
    code: str             # defines f; a REJECTED case marks the line(s) it may point at with # ERR
    args: tuple = ((0.7,),)   # SUPPORTED: argument tuples to check the gradient at
    wrt: object = 0
    word: str = ""        # REJECTED: regex the explanation must match (names the construct)
    version: tuple = (3, 10)  # the first Python that has the syntax
    closure: bool = False  # f returns the function to differentiate (a closure)

    @property
    def id(self):
        return f"{self.kind[:3]}-{'-'.join(self.nodes)}"


V = np.array([0.5, -1.25, 2.0])
M = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]])
W = np.array([0.3, 0.9, -0.4, 1.1, 0.2])

CASES = [
    # ------------------------------------------------------------------ statements
    Case(("FunctionDef",), SUPPORTED, """
        def f(x):
            return x * x * 3.0
    """),
    Case(("FunctionDef",), SUPPORTED, """
        def f(x, w):
            def inner(v):
                return v * w
            return inner(x) * inner(2.0)
    """, args=((0.7, -1.3),), wrt=(0, 1)),
    Case(("FunctionDef",), REJECTED, """
        def f(x):
            def inner(v):
                return v * x
            return inner  # ERR
    """, word=r"nested function inner\(\) is used as a value"),
    Case(("AsyncFunctionDef", "Await"), REJECTED, """
        async def f(x):  # ERR
            y = await x
            return y
    """, word=r"\basync\b"),
    Case(("AsyncFunctionDef",), REJECTED, """
        def f(x):
            async def inner(v):  # ERR
                return v
            return x * x
    """, word=r"\basync function"),
    Case(("AsyncFor",), REJECTED, """
        async def f(x):  # ERR
            async for v in x:
                x = x + v
            return x
    """, word=r"\basync\b"),
    Case(("AsyncWith",), REJECTED, """
        async def f(x):  # ERR
            async with x:
                y = x * x
            return y
    """, word=r"\basync\b"),
    Case(("ClassDef",), REJECTED, """
        def f(x):
            class Box:  # ERR
                k = 2.0
            return x * Box.k
    """, word=r"\bclass\b"),
    Case(("Return", "If", "Compare", "Gt"), SUPPORTED, """
        def f(x):
            if x > 0.0:
                return x * x
            return -x * 3.0
    """, args=((0.7,), (-0.4,))),
    Case(("Delete",), SUPPORTED, """
        def f(x):
            y = x * x
            z = y * x
            del y
            return z
    """),
    Case(("Delete", "Subscript"), REJECTED, """
        def f(x):
            ys = [x * x, x]
            del ys[0]  # ERR
            return ys[0]
    """, word=r"\bdel\b"),
    Case(("Assign", "Tuple"), SUPPORTED, """
        def f(x, y):
            a, b = x * y, x + y
            b, a = a, b
            return a * b
    """, args=((0.7, -1.3),), wrt=(0, 1)),
    Case(("Assign", "Subscript"), SUPPORTED, """
        def f(x):
            y = x * 2.0
            y[0] = 1.0
            return np.sum(y * y)
    """, args=((V,),)),
    Case(("Assign", "Subscript", "Slice"), SUPPORTED, """
        def f(x):
            y = np.zeros(5)
            y[1:3] = x[0:2]
            return np.sum(y * y)
    """, args=((V,),)),
    Case(("Assign", "Subscript", "Slice"), SUPPORTED, """
        def f(x):
            y = x * 2.0
            v = y[1:]
            y[1] = 0.0
            return np.sum(v * x[1:])
    """, args=((V,),)),
    Case(("Assign", "Subscript", "Slice"), REJECTED, """
        def f(x):
            y = x * 2.0
            hs = [y[1:]]
            y[1] = 0.0  # ERR
            return np.sum(hs[0] * x[1:])
    """, args=((V,),), word=r"share its memory"),
    Case(("Assign", "Subscript"), SUPPORTED, """
        def f(x):
            c = np.ones(3)
            c[1] = 4.0
            c[0:1] = -2.0
            return np.sum(c * x * x)
    """, args=((V,),)),
    Case(("Assign", "Attribute"), REJECTED, """
        def f(x, box):
            box.value = x * 2.0  # ERR
            return x * box.value
    """, word=r"attribute assignment"),
    Case(("AugAssign", "Add", "Mult"), SUPPORTED, """
        def f(x, y):
            s = x * 1.0
            s += y
            s *= x
            s -= 0.5 * y
            s /= 1.5
            s **= 2
            return np.sum(s)
    """, args=((V, 0.3), (0.4, V)), wrt=(0, 1)),
    Case(("AugAssign", "Subscript"), SUPPORTED, """
        def f(x):
            y = x * 1.0
            y[1] += 2.0
            return np.sum(y * y)
    """, args=((V,),)),
    Case(("AugAssign", "Subscript"), SUPPORTED, """
        def f(x):
            c = np.zeros(3)
            c[1] += x[0]
            return np.sum(c * x)
    """, args=((V,),)),
    Case(("AugAssign",), SUPPORTED, """
        def f(x):
            y = x
            y += 1.0
            return np.sum(x * y)
    """, args=((V,),)),
    Case(("AugAssign",), REJECTED, """
        def f(x):
            y = x * 1.0
            hs = [y]
            y += 1.0  # ERR
            return np.sum(x * hs[0])
    """, args=((V,),), word=r"in[- ]place"),
    Case(("AnnAssign",), SUPPORTED, """
        def f(x):
            y: float = x * 3.0
            z: float
            return y * y
    """),
    Case(("For", "Call"), SUPPORTED, """
        def f(x):
            s = 0.0
            for i in range(3):
                s = s + x * i + np.sin(s)
            return s
    """),
    Case(("While", "Lt"), SUPPORTED, """
        def f(x):
            while x < 4.0:
                x = x * 1.5 + 0.1
            return x * x
    """, args=((0.7,), (2.3,))),
    Case(("If", "BoolOp", "And", "Or", "LtE", "GtE"), SUPPORTED, """
        def f(x):
            if x >= 0.0 and x <= 1.0 or x < -2.0:
                y = x * x
            else:
                y = np.sin(x)
            return y
    """, args=((0.7,), (1.3,), (-2.5,), (-0.5,))),
    Case(("With",), REJECTED, """
        def f(x):
            with np.errstate(all="raise"):  # ERR
                y = x * x
            return y
    """, word=r"\bwith\b"),
    # (a block that only quiets NumPy's warnings is its body: frontend/contexts.py)
    Case(("With",), SUPPORTED, """
        def f(x):
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log(x * x)
            return y * x
    """),
    Case(("Match",), REJECTED, """
        def f(x, n):
            match n:  # ERR
                case 1:
                    y = x
                case _:
                    y = x * x
            return y
    """, args=((0.7, 2),), word=r"\bmatch\b"),
    Case(("Raise",), SUPPORTED, """
        def f(x):
            if x.ndim != 1:
                raise ValueError("a vector please")
            s = 0.0
            for i in range(3):
                s = s + np.sum(x * x) * s + 1.0
                if s > 1e6:
                    raise RuntimeError(f"diverged at step {i}: s = {s}, x = {x}")
            return s
    """, args=((V * 0.1,),)),
    Case(("Try",), REJECTED, """
        def f(x):
            try:  # ERR
                y = x * x
            except ValueError:
                y = x
            return y
    """, word=r"\btry\b"),
    Case(("TryStar",), REJECTED, """
        def f(x):
            try:  # ERR
                y = x * x
            except* ValueError:
                y = x
            return y
    """, word=r"\btry\b", version=(3, 11)),
    Case(("Assert",), SUPPORTED, """
        def f(x):
            assert x.ndim == 1, "a vector"
            assert np.all(np.isfinite(x))
            return np.sum(x * x)
    """, args=((V,),)),
    Case(("Import",), SUPPORTED, """
        def f(x):
            import math
            import numpy as npx
            return math.sin(x) + npx.tanh(x)
    """),
    Case(("Import",), REJECTED, """
        def f(x):
            if x > 0.0:
                import math  # ERR
            return math.sin(x)
    """, word=r"\bimport\b"),
    Case(("ImportFrom",), SUPPORTED, """
        def f(x):
            from math import sin
            return sin(x)
    """),
    Case(("ImportFrom",), REJECTED, """
        def f(x):
            from .tools import sin  # ERR
            return sin(x)
    """, word=r"\bimport\b"),
    Case(("Global",), REJECTED, """
        def f(x):
            global SCALE  # ERR
            return x * SCALE
    """, word=r"\bglobal\b"),
    Case(("Nonlocal",), REJECTED, """
        def f():
            k = 2.0

            def g(x):
                nonlocal k  # ERR
                k = k + 1.0
                return x * k
            return g
    """, word=r"\bnonlocal\b", closure=True),
    Case(("Expr",), SUPPORTED, """
        def f(x):
            '''A docstring.'''
            print(x.shape)
            np.sum(np.ones(2))
            y = x * 2.0
            y.sort()
            return np.sum(np.exp(x)) + np.sum(y * np.arange(3.0))
    """, args=((V,),)),
    Case(("Expr",), REJECTED, """
        def f(x):
            y = x * 2.0
            y.partition(1)  # ERR
            return np.sum(y * x)
    """, args=((V,),), word=r"method|in place|expression"),
    Case(("Pass",), SUPPORTED, """
        def f(x):
            if x > 0.0:
                pass
            else:
                x = x * 2.0
            pass
            return x * x
    """, args=((0.7,), (-0.4,))),
    Case(("Break", "Continue"), SUPPORTED, """
        def f(x):
            s = 0.0
            for i in range(6):
                if i == 1:
                    continue
                s = s + x * s + x
                if s > 3.0:
                    break
            return s
    """, args=((0.7,), (0.2,))),
    # ----------------------------------------------------------------- expressions
    Case(("BoolOp", "Or"), REJECTED, """
        def f(x):
            y = x or 1.0  # ERR
            return y * y
    """, word=r"\bor\b"),
    Case(("BoolOp", "And"), REJECTED, """
        def f(x):
            y = x * 2.0 and x  # ERR
            return y * y
    """, word=r"\band\b"),
    Case(("NamedExpr",), REJECTED, """
        def f(x):
            if (y := x * x) > 1.0:  # ERR
                y = y * 2.0
            return y
    """, word=r":="),
    Case(("BinOp", "Add", "Sub", "Mult", "Div", "Pow"), SUPPORTED, """
        def f(x, y):
            return (x + y) * (x - y) / (1.5 + y * y) + x ** 3 + 2.0 ** y
    """, args=((0.7, -1.3),), wrt=(0, 1)),
    Case(("BinOp", "MatMult"), SUPPORTED, """
        def f(A, v):
            return np.sum((A @ v) ** 2)
    """, args=((M, V),), wrt=(0, 1)),
    Case(("BinOp", "FloorDiv"), SUPPORTED, """
        def f(x):
            k = x // 1.0
            return x * k + 2.0 // x
    """, args=((2.7,), (-0.45,))),
    Case(("BinOp", "LShift"), REJECTED, """
        def f(x):
            return x << 2  # ERR
    """, word=r"<<"),
    Case(("BinOp", "RShift"), REJECTED, """
        def f(x):
            return x >> 1  # ERR
    """, word=r">>"),
    Case(("BinOp", "BitOr"), REJECTED, """
        def f(x):
            return x | 1  # ERR
    """, word=r"\|"),
    Case(("BinOp", "BitXor"), REJECTED, """
        def f(x):
            return x ^ 1  # ERR
    """, word=r"\^"),
    Case(("BinOp", "BitAnd"), REJECTED, """
        def f(x):
            return x & 1  # ERR
    """, word=r"&"),
    Case(("BinOp", "BitAnd", "BitOr", "BitXor", "LShift", "RShift", "Invert"), SUPPORTED, """
        def f(x, n):
            mask = (x > 0.0) & (x < 1.5) | (x < -1.0) ^ (x > 100.0)
            k = (n << 2) >> 1
            return np.sum(x * x * mask * ~(x == 7.0)) * k
    """, args=((V, 3),)),
    Case(("BinOp", "Mod"), SUPPORTED, """
        def f(x, n):
            s = 0.0
            for i in range(n):
                if i % 2 == 0:
                    s = s + x * (n % 3)
            return s * x
    """, args=((0.7, 5),)),
    Case(("UnaryOp", "USub", "UAdd", "Not"), SUPPORTED, """
        def f(x, flag):
            y = -x + (+x) * 3.0
            if not flag:
                y = -y
            return y * x
    """, args=((0.7, True), (0.7, False))),
    Case(("Lambda",), SUPPORTED, """
        def f(x):
            g = lambda v: v * v * x
            return g(x) + g(2.0)
    """),
    Case(("Lambda",), REJECTED, """
        def f(x):
            gs = [lambda v: v * x]  # ERR
            return x
    """, word=r"\blambda\b used as a value"),
    Case(("IfExp",), SUPPORTED, """
        def f(x, n):
            k = 2.0 if n > 1 else 3.0
            return x * k
    """, args=((0.7, 2), (0.7, 0))),
    Case(("IfExp",), SUPPORTED, """
        def f(x, y):
            a = x * y if x > y else (np.sin(x) if y > 1.0 else y * 2.0)
            b, c = (a, x) if a > 0.5 else (x, a * a)
            s = 0.0
            for i in range(3):
                s = s + b * x if s < 1.0 else s * c
            return s + np.cos(a) * y if x > 0.0 else s * y
    """, args=((0.7, 0.3), (0.3, 0.7), (0.3, 1.7), (-0.4, 0.5), (1.9, -0.2)), wrt=(0, 1)),
    Case(("IfExp",), SUPPORTED, """
        def f(x):
            y = 2.0 * (x if x > 0.0 else -x)
            y += x * x if y > 1.0 else np.sin(x)
            return y * y + (y if x < 0.5 else 1.0) * np.cos(x if y > 0.2 else y)
    """, args=((0.7,), (-0.3,), (0.1,), (0.4,))),
    Case(("IfExp",), SUPPORTED, """
        def f(x):
            ys = [v if v > 0.0 else -v * v for v in x]
            g = lambda v: 2.0 * (v if v > 0.5 else np.sin(v))
            return sum(ys) + sum(g(v) for v in x)
    """, args=((np.array([0.7, -0.3, 0.6]),),)),
    Case(("Dict",), SUPPORTED, """
        def f(x):
            d = {"a": 2.0, "b": 3.0}
            return x * d["a"] + d["b"]
    """),
    Case(("Dict",), SUPPORTED, """
        def f(x):
            d = {"a": x * 2.0, "b": [x, 1.0]}
            d["b"][1] = d["a"] * x
            return d["a"] * d["b"][1]
    """),
    Case(("Dict",), REJECTED, """
        def f(x, key):
            d = {key: x * 2.0}  # ERR
            return d[key]
    """, args=((0.7, "a"),), word=r"\bdict\b.*constant keys"),
    Case(("Set", "In", "NotIn"), SUPPORTED, """
        def f(x, mode):
            if mode in {"square", "cube"}:
                x = x * x
            if "cube" not in mode:
                return x
            return x * x * x
    """, args=((0.7, "square"), (0.7, "cube"), (0.7, "none"))),
    Case(("Set",), REJECTED, """
        def f(x):
            s = {x * 2.0}  # ERR
            return x
    """, word=r"\bset\b"),
    Case(("ListComp",), REJECTED, """
        def f(x):
            # (a list comprehension runs as a loop, but not in a branch that may not run)
            ys = [x] if x > 5.0 else [x * i for i in range(3)]  # ERR
            return ys[0]
    """, word=r"list comprehension"),
    Case(("SetComp",), REJECTED, """
        def f(x):
            ks = {i for i in range(3)}  # ERR
            return x * len(ks)
    """, word=r"set comprehension"),
    Case(("DictComp",), SUPPORTED, """
        def f(x):
            d = {i: x * i for i in range(3)}
            return d[2] * d[1] + x * len(d)
    """),
    Case(("DictComp",), REJECTED, """
        def f(x):
            # (a dict comprehension runs as a loop, but not in a branch that may not run)
            d = {} if x > 5.0 else {i: x * i for i in range(3)}  # ERR
            return d[2]
    """, word=r"dict comprehension"),
    Case(("GeneratorExp",), REJECTED, """
        def f(x):
            # (a generator given to a call runs as a loop; one kept as a value does not)
            g = (x * i for i in range(3))  # ERR
            return sum(g)
    """, word=r"generator expression"),
    Case(("Yield",), REJECTED, """
        def f(x):
            y = yield x  # ERR
            return y
    """, word=r"\byield\b"),
    Case(("YieldFrom",), REJECTED, """
        def f(x):
            y = yield from [x]  # ERR
            return y
    """, word=r"\byield\b"),
    Case(("Compare", "Lt", "Eq", "NotEq"), SUPPORTED, """
        def f(x, n):
            if 0.0 < x < 1.0 != n:
                y = x * x
            elif -1.0 < x <= 0.0 == n - n:
                y = x * 3.0
            else:
                y = np.exp(x)
            return y
    """, args=((0.7, 2), (1.7, 2), (0.7, 1), (-0.5, 2), (-3.0, 2))),
    Case(("Compare", "Is", "IsNot"), SUPPORTED, """
        def f(x, scale=None):
            if scale is None:
                scale = 2.0
            if scale is not None and x is not scale:
                x = x * scale
            return x * x
    """, args=((0.7,), (0.7, 3.0))),
    Case(("Call", "keyword"), SUPPORTED, """
        def f(x):
            return np.sum(np.tanh(x), axis=0) + helper(np.mean(x)) * SCALE + max(x[0], x[1])
    """, args=((V,),)),
    Case(("Call",), SUPPORTED, """
        def f(x):
            return np.sum(TWICE(x) * x)   # (an object of yours: its __call__)
    """, args=((V,),)),
    Case(("Call",), REJECTED, """
        def f(x):
            return np.sum(VECTORIZED(x))  # ERR
    """, args=((V,),), word=r"VECTORIZED.*adjoint rule"),
    Case(("FormattedValue", "JoinedStr"), SUPPORTED, """
        def f(x, n):
            label = f"step {n:03d} of {n!r}"
            print(f"x = {x}", label)
            return x * x
    """, args=((0.7, 3),)),
    Case(("FormattedValue", "JoinedStr"), SUPPORTED, """
        def f(x):
            label = f"{x * 2.0:.2f}"   # a string: no gradient flows through it
            print(f"loss {x * x:.3f}")
            return x * len(label)
    """),
    Case(("FormattedValue", "JoinedStr"), REJECTED, """
        def f(x):
            print(f"{x.sort()}")  # ERR
            return np.sum(x * x)
    """, args=((V,),), word=r"sort"),
    Case(("Constant",), SUPPORTED, """
        def f(x):
            return x * 2.5 + 1 + True + (None is None)
    """),
    Case(("Attribute",), SUPPORTED, """
        def f(A):
            return np.sum(A.T @ A) * A.shape[0] + A.sum()
    """, args=((M,),)),
    Case(("Attribute",), REJECTED, """
        def f(x):
            return np.sum(x.flat)  # ERR
    """, args=((V,),), word=r"attribute \.flat"),
    Case(("Subscript", "Slice"), SUPPORTED, """
        def f(x, A):
            return x[0] * x[-1] + np.sum(x[1:]) + np.sum(x[::-1] * x) + A[1, 0] * x[2] + np.sum(A[:, 1:] * x[:2])
    """, args=((V, M),), wrt=(0, 1)),
    Case(("Subscript",), REJECTED, """
        def f(x, y):
            return x[y] * 2.0  # ERR
    """, args=((V, 1.0),), wrt=(0, 1), word=r"\bindex\b"),
    Case(("Starred",), REJECTED, """
        def f(x):
            xs = [x, x * 2.0]
            return np.maximum(*xs)  # ERR
    """, word=r"starred|\*args"),
    Case(("Starred",), SUPPORTED, """
        def f(x):
            return np.maximum(*[x, x * 2.0]) + np.minimum(*(x, 0.5))
    """),
    Case(("Starred",), SUPPORTED, """
        def f(x):
            a, *rest = x * 1.0, x, x
            return a * rest[0]
    """),
    Case(("Starred",), SUPPORTED, """
        def f(x):
            a, *middle, z = x * 1.0, x, x
            *_, last = [x, 2.0 * x]
            return a * z * middle[0] + last
    """),
    Case(("Starred",), REJECTED, """
        def f(x):
            pairs = []
            for i in range(2):
                pairs.append((x * i, x))
            (a, b), *rest = pairs  # ERR
            return a * b
    """, word=r"starred"),
    Case(("Starred",), SUPPORTED, """
        def f(x, shape):
            z = np.zeros((*shape, 1))
            return np.sum(x * x) + np.sum(z)
    """, args=((V, (2, 3)),)),
    Case(("Name", "List", "Tuple"), SUPPORTED, """
        def f(x, y):
            hs = [x, y * x]
            t = (y, x)
            return hs[0] * hs[1] + t[0] * hs[-1]
    """, args=((0.7, -1.3),), wrt=(0, 1)),
]

#: Operator classes are catalogued too (they are ast nodes a case can contain).
OPERATOR_BASES = (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def node_classes():
    """Every concrete statement, expression and operator class ``ast`` exports, by name.

    Deprecated aliases kept for old code (ast.Num, ast.Str, ...) are not distinct nodes:
    the parser never produces them."""
    found = set()
    for name, cls in vars(ast).items():
        if not isinstance(cls, type) or not issubclass(cls, (ast.stmt, ast.expr) + OPERATOR_BASES):
            continue
        if cls in (ast.stmt, ast.expr) + OPERATOR_BASES:
            continue
        if issubclass(cls, ast.Constant) and cls is not ast.Constant:
            continue  # Num, Str, Bytes, NameConstant, Ellipsis: aliases of Constant
        found.add(name)
    return found


def active_cases():
    return [c for c in CASES if sys.version_info[:2] >= c.version]


# ---------------------------------------------------------------------------
# writing the cases as real modules
# ---------------------------------------------------------------------------

_counter = itertools.count()


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("catalog")


def load_case(case, directory):
    """Write ``case`` into a module file, import it; returns (function, path, source lines)."""
    name = f"catalog_case_{next(_counter)}"
    text = HEADER + "\n\n" + textwrap.dedent(case.code).strip("\n") + "\n"
    path = directory / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    obj = module.f() if case.closure else module.f
    return obj, str(path), text.splitlines()


def parsed_nodes(case):
    tree = ast.parse(textwrap.dedent(case.code))
    return {type(n).__name__ for n in ast.walk(tree)}


# ---------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------

def test_every_node_class_is_catalogued():
    covered = set()
    for case in active_cases():
        covered |= set(case.nodes)
    missing = sorted(node_classes() - covered)
    assert not missing, (f"ast node classes of Python {sys.version.split()[0]} with no case in "
                         f"the construct catalog: {missing}")


def test_node_class_enumeration_finds_the_known_nodes():
    # the enumeration itself must work: it sees old and new nodes, and no aliases
    found = node_classes()
    assert {"If", "For", "BinOp", "Call", "Lambda", "Global", "Add", "Is", "And"} <= found
    if sys.version_info >= (3, 10):
        assert "Match" in found
    assert not {"Num", "Str", "Bytes", "NameConstant", "Ellipsis"} & found
    assert not {"stmt", "expr", "operator", "cmpop"} & found


@pytest.mark.parametrize("case", active_cases(), ids=lambda c: c.id)
def test_case_contains_its_nodes(case):
    # a case must really contain the node classes it claims to exercise
    missing = set(case.nodes) - parsed_nodes(case)
    assert not missing, f"case {case.id} does not contain {missing}"


@pytest.mark.parametrize("case", [c for c in active_cases() if c.kind == SUPPORTED],
                         ids=lambda c: c.id)
def test_supported(case, case_dir):
    f, _, _ = load_case(case, case_dir)
    for args in case.args:
        assert_grad(f, *args, wrt=case.wrt)


@pytest.mark.parametrize("case", [c for c in active_cases() if c.kind == REJECTED],
                         ids=lambda c: c.id)
def test_rejected(case, case_dir):
    f, path, lines = load_case(case, case_dir)
    marked = {i for i, text in enumerate(lines, 1) if text.rstrip().endswith("# ERR")}
    assert marked, f"case {case.id} marks no line with # ERR"
    with pytest.raises(ad.TransformError) as info:
        g = ad.grad(f, wrt=case.wrt)
        g(*case.args[0])  # only reached if the transformation wrongly succeeded
    exc = info.value
    assert isinstance(exc, ValueError)
    msg = str(exc)
    where = re.search(re.escape(path) + r":(\d+):(\d+): ", msg)
    assert where, f"the message does not start with {path}:LINE:COL:\n{msg}"
    lineno, col = int(where.group(1)), int(where.group(2))
    assert lineno in marked, f"the error points at line {lineno}, expected {sorted(marked)}:\n{msg}"
    assert exc.filename == path and exc.lineno == lineno
    line = lines[lineno - 1]
    assert 1 <= col <= len(line), f"column {col} is outside {line!r}"
    code = line.split("# ERR")[0].strip()
    assert code in msg, f"the message does not quote the line {code!r}:\n{msg}"
    assert re.search(case.word, exc.reason, re.IGNORECASE), (
        f"the explanation does not name the construct ({case.word!r}):\n{msg}")
