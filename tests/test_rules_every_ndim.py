"""Every rule at inputs of every number of dimensions NumPy accepts.

The reference cases (test_reference.py) check each rule at the shapes a person chose;
a rule can be right there and wrong at others: ``np.triu`` of a vector (a matrix of its
copies) once gave a matrix as the vector's gradient, ``np.polyval`` with a matrix of
coefficients a vector. Here each rule's function is called as ``np.sum(np.sin(f(a, b)))``
on every combination of numbers, vectors, matrices (and, for one input, 3-d arrays) that
NumPy runs without an error or a warning, all lengths 3 and again with axes of length 1
that broadcast, with the rule's defaults and with ``axis=0``, ``-1``, ``None`` and
``keepdims=True`` where it takes them. adcompile's gradient is compared with central
differences and its forward mode with that gradient, or the combination is refused with
a TransformError. Nothing else is acceptable: a gradient of the wrong shape or value, or
an exception other than adcompile's own when the gradient runs.
"""

import ast
import importlib.util
import itertools
import math
import sys
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.special
from conftest import assert_grad, numerical_grad
from test_result_shapes import _RUNNABLE

import adcompile as ad
from adcompile.cache import cached_transform
from adcompile.rules import REGISTRY

#: the modules the calls are spelled from
_MODULES = {"np": np, "np.linalg": np.linalg, "scipy.special": scipy.special,
            "scipy.linalg": scipy.linalg, "math": math}
#: other values of statics tried, where a rule has them
_VARIANTS = ("axis=0", "axis=-1", "axis=None", "keepdims=True")
#: runtime errors that are adcompile's refusals where only the values show what is wrong
_REFUSED_WHEN_RUN = ("complex results",)


def _spelled(key):
    """How a call names ``key`` (``np.linalg.inv``, ``np.maximum.accumulate``), or None."""
    for prefix, module in _MODULES.items():
        for name, value in vars(module).items():
            if value is key and not name.startswith("_"):
                return f"{prefix}.{name}"
    owner = getattr(key, "__self__", None)
    return f"np.{owner.__name__}.{key.__name__}" if isinstance(owner, np.ufunc) else None


def _calls():
    """(rule, the call's text, its number of inputs, the positions differentiated)."""
    found = []
    for rule in REGISTRY.rules:
        if rule.module in ("generated", None) or rule.refusal:
            continue
        count = len(rule.inputs) - len(rule.optional)
        wrt = [i for i, v in enumerate(rule.inputs[:count]) if v in rule.differentiable_inputs]
        for key in rule.keys:
            text = _spelled(key) if callable(key) else None
            if text is None or not 1 <= count <= 3 or not wrt:
                continue
            needed = "".join(f", {n}={_RUNNABLE[n]}" for n, d in rule.statics.items()
                             if n in _RUNNABLE and (d is None or isinstance(d, ast.Constant)
                                                  and d.value is None))
            params = ", ".join(f"a{i}" for i in range(count))
            for given in [""] + [f", {v}" for v in _VARIANTS if v.split("=")[0] in rule.statics]:
                found.append((rule, f"{text}({params}{needed}{given})", count, tuple(wrt)))
    return found


CALLS = _calls()


def _module(tmp_path, call, count):
    """A module defining ``f`` that calls ``call`` (adcompile reads its source)."""
    params = ", ".join(f"a{i}" for i in range(count))
    name = "every_ndim_" + "".join(c if c.isalnum() else "_" for c in call)[:60]
    path = tmp_path / f"{name}.py"
    path.write_text(f"import math\n\nimport numpy as np\nimport scipy.linalg\nimport "
                    f"scipy.special\n\n\ndef f({params}):\n    return np.sum(np.sin({call}))\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _inputs(rule, dims, rng, ones=False):
    """An argument of each ndim in ``dims`` (a Python float for 0): lengths 3 (with
    ``ones``, every other axis of length 1, so that inputs broadcast), entries in [0.5,
    1.5], a 3 x 3 matrix (for linear algebra, a stack of them too) made well conditioned;
    np.interp's table sorted, indices ints."""
    args = []
    for k, (name, d) in enumerate(zip(rule.inputs, dims)):
        shape = tuple(1 if ones and (k + axis) % 2 == 0 else 3 for axis in range(d))
        square = shape == (3, 3) or rule.module in ("linalg", "scipy") and shape[-2:] == (3, 3)
        x = rng.uniform(0.5, 1.5, shape) + (3 * np.eye(3) if square else 0)
        if name == "xp" and d == 1:
            x = np.sort(x)
        if name == "indices":
            x = np.zeros((3,) * d, dtype=int) + 1
        args.append(x if d else x.item())
    return args


def _runs(f, args):
    """Whether NumPy runs ``f`` at ``args`` to a finite real number, without warnings."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value = f(*args)
        return np.isrealobj(value) and bool(np.isfinite(value))
    except Exception:
        return False


def _check_at(f, args, wrt, rng):
    """Compare adcompile's gradient at ``args`` with central differences, and its forward
    mode along random tangents with that gradient; returns what is wrong, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            grads = ad.grad(f, wrt=wrt if len(wrt) > 1 else wrt[0])(*args)
            tangents = [rng.normal(size=np.shape(args[k])) for k in wrt]
            tangents = [t if np.ndim(args[k]) else float(t) for t, k in zip(tangents, wrt)]
            if len(wrt) > 1:
                _, slope = ad.jvp(f, wrt=wrt)(*args, tuple(tangents))
            else:
                _, slope = ad.jvp(f, wrt=wrt[0])(*args, tangents[0])
    except ad.TransformError:
        return None
    except ValueError as e:
        if any(m in str(e) for m in _REFUSED_WHEN_RUN):
            return None
        return f"{type(e).__name__}: {e}"
    except Exception as e:  # noqa: BLE001 - any other exception is a failure to report
        return f"{type(e).__name__}: {e}"
    grads = grads if len(wrt) > 1 else (grads,)
    along = 0.0
    for k, g, t in zip(wrt, grads, tangents):
        fd = numerical_grad(f, args, k, eps=1e-6)
        if np.shape(g) != np.shape(args[k]):
            return f"d/da{k}: shape {np.shape(g)} for an argument of shape {np.shape(args[k])}"
        if not np.allclose(g, fd, rtol=1e-5, atol=1e-6):
            return f"d/da{k}: {g} but central differences give {fd}"
        along += np.sum(g * t)
    if not np.isclose(slope, along, rtol=1e-8, atol=1e-10):
        return f"forward mode: {slope} along the tangent, the gradient gives {along}"
    return None


@pytest.mark.parametrize("rule, call, count, wrt", CALLS, ids=[c[1] for c in CALLS])
def test_every_ndim_numpy_accepts(tmp_path, rule, call, count, wrt):
    f = _module(tmp_path, call, count).f
    rng = np.random.default_rng(len(call))
    wrong = {}
    for dims in itertools.product(range(4 if count == 1 else 3), repeat=count):
        for ones in (False, True) if any(dims) else (False,):
            args = _inputs(rule, dims, rng, ones)
            if _runs(f, args):
                found = _check_at(f, args, wrt, rng)
                if found:
                    wrong[tuple(np.shape(a) for a in args)] = found
    assert not wrong, wrong


def _reads_ndims(rule):
    """Whether the rule's templates decide something by an input's ndim."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "ndim"
               for t in list(rule.body) + list(rule.tangent or []) for n in ast.walk(t))


#: the calls whose general code (ndims known only when it runs) differs from specialised code
BY_NDIM = [c for c in CALLS if _reads_ndims(c[0])]


@pytest.mark.parametrize("rule, call, count, wrt", BY_NDIM, ids=[c[1] for c in BY_NDIM])
def test_general_code_is_right_or_raises_at_every_ndim(tmp_path, rule, call, count, wrt):
    """The general code (what ``ad.build`` writes, and what runs for a value whose ndim
    nothing shows, such as an unknown function's result) cannot decide a rule's ndim tests
    when it is made: it must be right for every ndim, or raise where code made for the
    arguments refuses them (np.convolve of a number, a number or vector given to
    scipy.linalg's matrix functions), with that refusal's message at the user's line (it
    raised NumPy's or SciPy's error, or computed a gradient), never return another
    gradient. Its forward mode too, against that gradient."""
    f = _module(tmp_path, call, count).f
    which = wrt if len(wrt) > 1 else wrt[0]
    transform = cached_transform(f, which)
    try:
        general = transform.compiled((), "grad")
        tangent = transform.compiled((), "jvp")
    except ad.TransformError:
        return
    rng = np.random.default_rng(len(call))
    wrong = {}
    for dims in itertools.product(range(4 if count == 1 else 3), repeat=count):
        for ones in (False, True) if any(dims) else (False,):
            args = _inputs(rule, dims, rng, ones)
            if not _runs(f, args):
                continue
            shapes = tuple(np.shape(a) for a in args)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                try:
                    grads = general(*args)
                except Exception as e:  # noqa: BLE001 - compared with the refusal
                    found = _refused_alike(e, lambda: ad.grad(f, wrt=which)(*args)) \
                        or _refused_alike(_raised(tangent, args, wrt), lambda: ad.jvp(
                            f, wrt=which)(*args, *_tangents(args, wrt, rng)))
                    if found:
                        wrong[shapes] = found
                    continue
            along, dots = 0.0, {}
            for k, g in zip(wrt, grads if len(wrt) > 1 else (grads,)):
                fd = numerical_grad(f, args, k, eps=1e-6)
                if np.shape(g) != np.shape(fd) or not np.allclose(g, fd, rtol=1e-5, atol=1e-6):
                    wrong[shapes] = f"d/da{k}: {g}, differences {fd}"
                dots[f"a{k}_dot"] = rng.normal(size=np.shape(args[k])) if np.ndim(args[k]) \
                    else float(rng.normal())
                along += np.sum(g * dots[f"a{k}_dot"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                _, slope = tangent(*args, **dots)
            if not np.isclose(slope, along, rtol=1e-8, atol=1e-10):
                wrong[shapes, "forward"] = f"{slope} along the tangent, the gradient gives {along}"
    assert not wrong, wrong


def _tangents(args, wrt, rng):
    """A random tangent for each argument in ``wrt`` (a tuple of them for two or more)."""
    dots = [rng.normal(size=np.shape(args[k])) if np.ndim(args[k]) else float(rng.normal())
            for k in wrt]
    return (tuple(dots),) if len(wrt) > 1 else tuple(dots)


def _raised(tangent, args, wrt):
    """What the general forward-mode code ``tangent`` raises at ``args`` (None if nothing)."""
    dots = {f"a{k}_dot": np.ones(np.shape(args[k])) if np.ndim(args[k]) else 1.0 for k in wrt}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            tangent(*args, **dots)
    except Exception as e:  # noqa: BLE001 - compared with the refusal
        return e
    return None


def _refused_alike(error, specialised):
    """What is wrong with ``error``, raised by general code, given that ``specialised()``
    runs the code made for the arguments, which must refuse them: the error must be a
    ValueError (TransformError is one) with the refusal's message, its place and line."""
    try:
        specialised()
    except ad.TransformError as e:
        refusal = e
    else:
        return f"the general code raised {error!r}, the specialised one did not refuse"
    if not isinstance(error, ValueError) or str(error) != str(refusal):
        return f"the general code raised {error!r}, the specialised one refused: {refusal}"
    return None


def test_the_calls_cover_the_rules():
    """Most rules of NumPy's and SciPy's functions are reached (methods and operators are
    checked elsewhere: their functions are)."""
    assert len(CALLS) > 200
    assert any(call.startswith("np.triu(") for _, call, _, _ in CALLS)


# -- what the sweep found, as users write it ------------------------------------------------------

def grid_energy(x, y):
    grid = np.array(np.meshgrid(x, y))   # (2, len(y), len(x))
    return np.sum(np.sin(grid) ** 2) + np.sum(grid[0] * grid[1])


def orthogonal_parts(a):
    return np.sum(np.asarray(np.linalg.qr(a)) ** 2 * 0.5)


def log_volumes(stack):
    return np.sum(np.array(np.linalg.slogdet(stack)) * 2.0)


@pytest.mark.parametrize("f, args", [
    (grid_energy, (np.linspace(0.1, 1.0, 4), np.linspace(-0.5, 0.5, 3))),
    (orthogonal_parts, (np.eye(3) * 3 + np.arange(9.0).reshape(3, 3) / 10,)),
    (log_volumes, (np.eye(3) * 3 + np.arange(27.0).reshape(3, 3, 3) / 30,)),
])
def test_np_array_of_a_tuple_a_primitive_returns(f, args):
    """Forward mode stacked the tangents of a returned tuple's items as objects: the
    derivative of a sum came back an array (np.meshgrid), or the code failed (np.linalg.qr);
    reverse mode was right."""
    assert_grad(f, *args, wrt=tuple(range(len(args))) if len(args) > 1 else 0)


def polynomial_surface(p, x):
    return np.sum(np.polyval(p, x) ** 2)


def test_np_polyval_with_a_matrix_of_coefficients():
    """Each row of p a coefficient broadcast with x: the gradient of p is p's shape (it
    was a vector), and its Hessian is right too."""
    p = np.array([[0.3, -0.2, 0.5], [1.0, 0.4, -0.7], [0.2, 0.1, 0.3]])
    x = np.linspace(-1.0, 1.0, 3)
    assert_grad(polynomial_surface, p, x, wrt=(0, 1))
    hessian = ad.hessian(polynomial_surface)(p, x)
    flat = lambda v: ad.grad(polynomial_surface)(v.reshape(3, 3), x).ravel()
    assert np.allclose(hessian.reshape(9, 9), numerical_jacobian(flat, p.ravel()), atol=1e-6)


def numerical_jacobian(f, x, eps=1e-6):
    columns = []
    for i in range(x.size):
        d = np.zeros_like(x)
        d[i] = eps
        columns.append((f(x + d) - f(x - d)) / (2 * eps))
    return np.stack(columns, axis=-1)


def sylvester_of_a_number(q):
    a, b = np.eye(3) * 3 + 0.1, np.eye(3) * 2 - 0.2
    return np.sum(scipy.linalg.solve_sylvester(a, b, q) ** 2)


def test_solve_sylvester_of_a_number_is_of_the_identity():
    """SciPy reads a number q as q times the identity: its gradient is the trace of the
    matrix's (it was that matrix)."""
    assert_grad(sylvester_of_a_number, 0.7)


@pytest.mark.parametrize("call, x, message", [
    ("scipy.linalg.expm(a0)", 0.8, "not for a number"),
    ("scipy.linalg.sqrtm(a0)", 0.8, "not for a number"),
    ("scipy.linalg.cholesky(a0)", np.ones(1), "not for a number or a vector"),
    ("scipy.linalg.solve(a0, np.ones(2))", np.eye(2) * 2 + np.zeros((3, 2, 2)), "batch"),
    ("scipy.linalg.solve_sylvester(a0, np.eye(2), np.eye(2))",
     np.eye(2) * 2 + np.zeros((3, 2, 2)), "batches"),
    ("np.convolve(a0, 2.0)", 0.8, "multiply")])
def test_what_scipy_and_numpy_take_beyond_a_matrix_is_refused(tmp_path, call, x, message):
    """A number where SciPy reads a 1 x 1 matrix, a stack of matrices (SciPy's batches):
    refused by name, never a gradient of another shape."""
    f = _module(tmp_path, call, 1).f
    with pytest.raises(ad.TransformError, match=message):
        ad.grad(f)(x)
    with pytest.raises(ad.TransformError, match=message):
        ad.jvp(f)(x, np.ones_like(x) if np.ndim(x) else 1.0)


def picked_rows(x, idx):
    return np.sum(np.take_along_axis(x, idx, axis=-1) ** 2)


def test_take_along_axis_of_a_row_broadcast_against_its_indices():
    """x with one row, indices with three: NumPy reads the row three times, so its gradient
    is the sum of the three (the code failed with an IndexError)."""
    idx = np.array([[0, 2, 1], [1, 1, 0], [2, 0, 0]])
    assert_grad(picked_rows, np.array([[0.5, -1.0, 2.0]]), idx)


def _imported(path):
    """The module at ``path`` (a module ad.build wrote)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])


@pytest.mark.parametrize("call, refused, accepted", [
    ("np.convolve(a0, np.array([0.5, -1.0]))", 0.8, np.array([0.3, 1.2, -0.7])),
    ("scipy.linalg.expm(a0)", 0.8, SPD / 4),
    ("scipy.linalg.sqrtm(a0)", 0.8, SPD),
    ("scipy.linalg.cholesky(a0)", np.array([2.0]), SPD),
    ("scipy.linalg.solve(a0, np.ones(2))", np.eye(2) * 2 + np.zeros((3, 2, 2)),
     np.array([[2.0, 0.3], [-0.4, 1.5]])),
    ("scipy.linalg.solve_sylvester(a0, np.eye(2), np.eye(2))",
     np.eye(2) * 2 + np.zeros((3, 2, 2)), np.array([[2.0, 0.3], [-0.4, 1.5]]))])
def test_general_code_refuses_when_it_runs_what_specialised_code_refuses(tmp_path, call,
                                                                          refused, accepted):
    """What ad.build writes (and the general code adcompile runs where an ndim is known only
    then) checks, when it runs, the kinds a rule refuses by ndim: at the user's line, with
    the message and source line of the refusal code made for the arguments gives (it
    raised NumPy's or SciPy's error there, or computed a gradient, and forward mode too);
    the kinds the rule takes get their gradient."""
    module = _module(tmp_path, call, 1)
    f, where = module.f, f"{module.__file__}:9:"
    transform = cached_transform(f, 0)
    general, tangent = transform.compiled((), "grad"), transform.compiled((), "jvp")
    generals = [general]
    if call.startswith("np."):   # (a built module imports NumPy and math only)
        generals.append(_imported(ad.build(f, tmp_path / f"built_{module.__name__}.py")).grad_f)
    with pytest.raises(ad.TransformError) as specialised:
        ad.grad(f)(refused)
    with pytest.raises(ad.TransformError) as specialised_tangent:
        ad.jvp(f)(refused, np.ones_like(refused))
    assert str(specialised.value).startswith(where)
    assert call in str(specialised.value)   # (the source line)
    for gradient in generals:
        with pytest.raises(ValueError) as found:
            gradient(refused)
        assert str(found.value) == str(specialised.value)
    with pytest.raises(ValueError) as found:
        tangent(refused, a0_dot=np.ones_like(refused))
    assert str(found.value) == str(specialised_tangent.value)
    expected = numerical_grad(f, [accepted], 0, eps=1e-6)
    for gradient in generals + [ad.grad(f)]:
        assert np.allclose(gradient(accepted), expected, rtol=1e-6, atol=1e-7)
    direction = np.cos(np.arange(np.size(accepted))).reshape(np.shape(accepted))
    _, slope = tangent(accepted, a0_dot=direction)
    assert np.isclose(slope, np.sum(expected * direction), rtol=1e-6)


def chained_products(stack):
    return np.sum(np.sin(np.linalg.multi_dot(stack)))


def test_multi_dot_of_a_3d_array_has_an_array_gradient():
    """np.linalg.multi_dot of a 3-d array multiplies its matrices: the gradient is an array
    of its shape (the specialised code gave a list of the matrices' gradients, the general
    code NumPy's error)."""
    stack = np.eye(3) * 2 + np.random.default_rng(3).uniform(-0.5, 0.5, (4, 3, 3))
    expected = numerical_grad(chained_products, [stack], 0, eps=1e-6)
    general = cached_transform(chained_products, 0).compiled((), "grad")
    for g in (ad.grad(chained_products)(stack), general(stack)):
        assert isinstance(g, np.ndarray) and g.shape == stack.shape
        assert np.allclose(g, expected, rtol=1e-6, atol=1e-7)
    assert_grad(chained_products, stack)
