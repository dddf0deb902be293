"""The names adcompile made that an error message shows although the user never wrote them
(``t3``, ``layers0``, ``h_2``, ``_value1``): a check the refusal tests share. A message
names what the user wrote; a numbered name in it must be one of the user's, or NumPy's,
math's or Python's (``float64``, ``log1p``, ``arctan2``)."""

import builtins
import inspect
import math
import re

import numpy as np

import adcompile as ad

#: a name ending in digits, as the namer makes them (t3, layers0, h_2, _value1), not part
#: of a longer name, a dotted name's tail or a number (1e3)
NUMBERED = re.compile(r"(?<![\w.])([A-Za-z_]\w*?\d+)(?!\w)")
#: the names a message may use without the user writing them
LIBRARY_NAMES = set(dir(np)) | set(dir(math)) | set(dir(builtins)) | set(dir(ad)) | {
    "grad2", "float16", "float32", "float64", "int8", "int16", "int32", "int64"}
#: how a message shows a place: ``file:line:col`` (the file's name may hold digits)
_PLACE = re.compile(r"\S+:\d+:\d+:?")


def generated_names(message, *functions, source=""):
    """The numbered names in ``message`` (a TransformError's or a run-time check's) that
    none of ``functions`` (the user's code the message is about), nor ``source`` (the
    user's code as text), nor the source lines the message quotes, nor the libraries
    write."""
    written = set(re.findall(r"\w+", source))
    for f in functions:
        try:
            written |= set(re.findall(r"\w+", inspect.getsource(f)))
        except (OSError, TypeError):
            pass
    told = []
    for line in message.splitlines():
        if line.startswith("    "):   # the user's line, quoted (and the caret under it)
            written |= set(re.findall(r"\w+", line))
            continue
        if line.startswith(("  called from ", "  inside ")):
            written |= set(re.findall(r"\w+", line.split(": ", 1)[-1]))
            continue
        told.append(_PLACE.sub("", line))
    found = set(NUMBERED.findall("\n".join(told)))
    return found - written - LIBRARY_NAMES
