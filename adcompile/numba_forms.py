"""Which code the numba backend compiles for a gradient or vjp: the code Python runs, or
the form made for differentiating again, whose loops numba compiles better (one list per
saved variable, one type each), and what to try next where numba refuses the first.
"""

import ast

from . import ir
from .errors import TransformError
from .ir.parsing import parse


def _numba_form(transform, key, form):
    """The form of the code numba compiles for ``form`` and argument kinds ``key``: for
    code with loops or float32 arrays, the gradient code made for differentiating again
    (one list per saved variable, one type each; loops as written, see backend/jit.py; a
    seed of the arrays' precision); else, and for a function ad.checkpoint marked, the
    code Python runs (which computes no value for its shape alone, as the other does)."""
    loops = any(isinstance(s, ir.Loop) for s in ir.walk(transform.normal.body))
    return "grad2" if form == "grad" and transform.checkpoint is None \
        and (_narrow(key) or loops) else form


def _narrow(key):
    """Whether argument kinds ``key`` (``dispatch.ndims``) have a float32 array."""
    return any(isinstance(n, tuple) and n[2] for n in key)


def numba_codes(transform, key, form):
    """The code numba compiles first for ``form`` and argument kinds ``key`` ((text, name,
    aliases, extra)), and a function giving the code to compile where numba refuses it
    (or None). Code with loops whose reversed loops were split (loop fission: the Python
    code calls ``step_arrays``) is tried as Python runs it, numba's step helpers compiling
    its steps stacked into arrays (backend/numba_steps.py), before the form ``_numba_form``
    picks; other code is that form alone."""
    wanted = _numba_form(transform, key, form)

    def generated():
        try:
            return transform.generate(key, wanted)
        except TransformError:
            # (code that cannot be differentiated again, as lists loops pass on: the
            # code Python runs, which numba compiles or refuses, saying why)
            return transform.generate(key, form)

    if wanted != form and not _narrow(key):
        code = transform.generate(key, form)
        if _calls(code[0], code[2].get("step_arrays")):
            def then():
                other = generated()
                return None if other[0] == code[0] else other
            return code, then
    return generated(), None


def _calls(text, name):
    """Whether the code ``text`` calls the function named ``name``."""
    return name is not None and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
        for n in ast.walk(parse(text)))
