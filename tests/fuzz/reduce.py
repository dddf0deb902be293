"""A line-based reducer: the smallest program text that still shows a failure.

Greedy: try the candidates below, largest removal first, keep the first one
for which ``still_fails(text)`` holds, and start again until none does.

- delete a statement with its indented body (a whole helper, loop, branch);
- delete an ``if`` together with its ``elif``/``else`` parts;
- replace a compound statement by one of its bodies, dedented (an ``if`` by
  its then- or else-branch, a loop by its body);
- simplify one expression in a line (``np.sin(e)`` -> ``e``, ``(u + e)`` ->
  ``u``, a helper call -> its first argument, constants -> 0.5).

Candidates that do not parse are skipped without running the check.
"""

import ast
import re

_SIMPLIFY = [
    (r"(?:np|math)\.\w+\(([\w.\[\]-]+)\)", r"\1"),
    (r"\((\w+(?:\[[^\]]*\])?) [-+*/] [^()]*?\)", r"\1"),
    (r"\(([^()]*?) [-+*/] (\w+(?:\[[^\]]*\])?)\)", r"\2"),
    (r"\b(?:h\d|max|min|np\.maximum|np\.minimum)\(([\w.\[\]]+), [^()]*\)", r"\1"),
    (r"\(0\.1 \* \w+\)", "0.1"),
    (r"(?<![\w.])-?\d+\.\d+", "0.5"),
]


def _indent(line):
    return len(line) - len(line.lstrip())


def _span(lines, i):
    """The end (exclusive) of the statement starting at line i, with its body."""
    j = i + 1
    while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > _indent(lines[i])):
        j += 1
    return j


def _clauses(lines, i):
    """For an ``if`` at line i: the spans of its clauses (if, elif..., else)."""
    spans = [(i, _span(lines, i))]
    while spans[-1][1] < len(lines):
        k = spans[-1][1]
        head = lines[k].strip()
        if _indent(lines[k]) == _indent(lines[i]) and (head.startswith("elif ") or head == "else:"):
            spans.append((k, _span(lines, k)))
        else:
            break
    return spans


def _dedent(lines, start, end, by):
    body = lines[start + 1:end]
    return [line[by:] if line.strip() else line for line in body]


_COUNTER = re.compile(r"^\s*w\d+ \+= 1$")   # a while loop's counter: keep it, or it never ends


def _candidates(lines):
    out = []
    for i, line in enumerate(lines):
        head = line.strip()
        if not head or head.startswith(("import ", "def f(")) or _COUNTER.match(line):
            continue
        end = _span(lines, i)
        if head.startswith(("elif ", "else:")):
            out.append(lines[:i] + lines[end:])           # drop this clause
            continue
        if head.startswith("if "):
            clauses = _clauses(lines, i)
            last = clauses[-1][1]
            out.append(lines[:i] + lines[last:])           # drop the whole if
            for start, stop in clauses:                    # keep one branch's body
                body = _dedent(lines, start, stop, 4)
                out.append(lines[:i] + body + lines[last:])
            continue
        out.append(lines[:i] + lines[end:])
        if head.endswith(":") and not head.startswith("def ") and end > i + 1:
            body = [b for b in _dedent(lines, i, end, 4) if not head.startswith("while ")
                    or not _COUNTER.match(b) or _indent(b) != _indent(line)]
            out.append(lines[:i] + body + lines[end:])
    out.sort(key=len)
    for i, line in enumerate(lines):
        if line.strip().startswith(("import ", "def ")):
            continue
        for pattern, repl in _SIMPLIFY:
            for m in re.finditer(pattern, line):
                new = line[:m.start()] + m.expand(repl) + line[m.end():]
                if new != line:
                    out.append(lines[:i] + [new] + lines[i + 1:])
    return out


def _parses(text):
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def reduce_lines(source, still_fails, budget=3000):
    """The reduced text; ``still_fails`` is called at most ``budget`` times."""
    lines = source.rstrip("\n").split("\n")
    seen = set()
    calls = 0
    progress = True
    while progress and calls < budget:
        progress = False
        for cand in _candidates(lines):
            text = "\n".join(cand) + "\n"
            if text in seen or not _parses(text):
                continue
            seen.add(text)
            calls += 1
            if still_fails(text):
                lines = cand
                progress = True
                break
            if calls >= budget:
                break
    # blank lines left between removed helpers
    text = re.sub(r"\n{3,}", "\n\n\n", "\n".join(lines).strip("\n")) + "\n"
    return text
