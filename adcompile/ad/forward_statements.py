"""The forward sweep as Python: the normalized function's IR statements written back,
with the tape's Save nodes after the pieces that save (``with_saves``, then
``python_statements``); ``forward_statement`` writes one simple statement (dump.py prints
list statements with it).
"""

import ast
from dataclasses import replace

from .. import ir
from . import tape


def with_saves(stmts, the_tape, exit_keys):
    """IR ``stmts`` with the tape's Save nodes: after each piece that saves, at the start of
    each iteration and before each loop that does, and before a break or continue, those of
    the ifs it leaves (``exit_keys``)."""
    out = []
    for unit in ir.segments(stmts):
        if unit.kind == "simple":
            keys = list(dict.fromkeys(the_tape.unit_of[s] for s in unit.body
                                      if s in the_tape.unit_of))
            out += unit.body + [save for key in keys for save in the_tape.save_nodes(key)]
        elif unit.kind == "exit":
            if unit.jump is not None:
                out += [save for key in reversed(exit_keys)
                        for save in the_tape.save_nodes(key)]
            out += unit.body + ([unit.jump] if unit.jump is not None else [])
        elif isinstance(unit.node, ir.If):
            node = key = unit.node
            out.append(replace(node, body=with_saves(node.body, the_tape, exit_keys + [key]),
                               orelse=with_saves(node.orelse, the_tape, exit_keys + [key])))
            if not (ir.always_jumps(node.body) and ir.always_jumps(node.orelse)):
                out += the_tape.save_nodes(key)
        else:
            node = key = unit.node
            body = the_tape.save_nodes(("start", node)) + with_saves(node.body, the_tape, [])
            out += the_tape.save_nodes(("entry", node)) + [replace(node, body=body)]
            out += the_tape.save_nodes(key)
    return out


def python_statements(stmts, needed):
    """Python statements for IR ``stmts`` (with Save nodes); a loop's iteration counter is
    kept where ``needed`` (by the backward sweep or a save) has it."""
    out = []
    for s in stmts:
        if isinstance(s, tape.Save):
            out.append(s)
        elif isinstance(s, ir.If):
            out.append(ast.If(test=s.test, body=python_statements(s.body, needed) or [ast.Pass()],
                              orelse=python_statements(s.orelse, needed)))
        elif isinstance(s, ir.Loop):
            out += _python_loop(s, needed)
        elif isinstance(s, ir.Carry):
            out.append(ir.assign(s.target, ir.load(s.source)))
        elif isinstance(s, ir.Jump):
            out.append(ast.Break() if s.kind == "break" else ast.Continue())
        else:
            out.append(forward_statement(s))
    return out


def _python_loop(node, needed):
    out, body = [], python_statements(node.body, needed)
    if node.counter and node.counter in needed:
        out.append(ir.assign(node.counter, ast.Constant(0)))
        body.insert(0, ast.AugAssign(target=ir.store(node.counter), op=ast.Add(),
                                     value=ast.Constant(1)))
    if node.kind == "for":
        out.append(ast.For(target=ir.store(node.index), iter=node.iterable,
                           body=body or [ast.Pass()], orelse=[]))
    else:
        out.append(ast.While(test=node.test, body=body or [ast.Pass()], orelse=[]))
    return out


def forward_statement(s):
    """The Python statement of a simple IR statement."""
    if isinstance(s, ir.Keep):
        return s.stmt
    if isinstance(s, ir.Op):
        return ir.assign(s.target, s.expr)
    if isinstance(s, ir.ListNew):
        elts = list(s.elements)
        value = ast.Tuple(elts=elts, ctx=ast.Load()) if s.is_tuple else ast.List(elts=elts,
                                                                                 ctx=ast.Load())
        return ir.assign(s.target, value)
    if isinstance(s, ir.ListAppend):
        return ast.Expr(ir.call(ast.Attribute(value=ir.load(s.target), attr="append",
                                            ctx=ast.Load()), s.value))
    if isinstance(s, ir.ListGet) and s.pop:
        return ir.assign(s.target, ir.call(ast.Attribute(value=ir.load(s.source), attr="pop",
                                                       ctx=ast.Load())))
    if isinstance(s, ir.ListGet):
        return ir.assign(s.target, ast.Subscript(value=ir.load(s.source), slice=s.index,
                                                 ctx=ast.Load()))
    if isinstance(s, ir.ListAdd):
        return ir.add_to_item(s.target, s.index, s.value)
    if isinstance(s, ir.ListSet):
        return ir.set_item(s.target, s.index, s.value)
    raise AssertionError(s)
