"""What ``ad.grad``, ``ad.value_and_grad``, ``ad.vjp`` and ``ad.jvp`` return: a
``Generated`` callable, which runs the generated code and makes it when it is first
needed.

``ad.grad(f)`` reads, checks and normalizes ``f`` at once (most refusals surface there,
where ``f`` is decorated); the code itself is generated on first use: the code
specialised to a call's arguments at the first call with arguments of their kind, and the
general code (for arguments of any shape) the first time ``.source`` is read. Making the
general code eagerly would double the time a large function takes to reach its first
gradient, since the first call makes its own specialised code anyway.

A ``Generated`` is a ``functools.partial`` of the function that picks the code (with no
arguments bound): the partial calls it at C speed and, unlike a function, can have a
property, ``.source``. It binds as a method when it is a class attribute, as a function
does, and it answers ``__code__``, ``__globals__`` and ``__closure__`` for that function,
which is what adcompile's cache of transforms keys on.
"""

import functools
import types


class Generated(functools.partial):
    """A callable adcompile made (``grad_f``): calls ``self.func``; ``.source`` is the
    general code of what it computes (made on first reading, then kept)."""

    @property
    def source(self):
        return self._shared.source

    def __get__(self, instance, owner=None):
        return self if instance is None else types.MethodType(self, instance)

    def __repr__(self):
        wrapped = getattr(self, "__wrapped__", None)
        of = getattr(wrapped, "__qualname__", None)
        return f"<adcompile {self.__name__}{f' of {of}' if of else ''}>"

    @property
    def __code__(self):
        return self.func.__code__

    @property
    def __globals__(self):
        return self.func.__globals__

    @property
    def __closure__(self):
        return self.func.__closure__

    def bind(self, args, keywords, original):
        """This callable with ``args`` and ``keywords`` bound first (``original``: the
        partial or bound method it stands for), with the same ``.source``, name and
        docstring."""
        result = Generated(self, *args, **keywords)
        result._shared = self._shared
        result.__name__ = result.__qualname__ = self.__name__
        result.__doc__ = self.__doc__
        result.__wrapped__ = original
        return result

