"""``ad.graph`` and ``adcompile graph``: the computation and its adjoint flow as a picture."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import adcompile as ad
from tests.samples import lecture

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "tests" / "samples" / "lecture.py"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz (the dot program) is not installed (optional)")


def parse_dot(text):
    """(node id -> label, [(tail label, head label, edge label, kind)]) of DOT ``text`` as
    graph_text writes it (one node or edge per line); kind: data, adjoint, next, layout."""
    nodes = dict(re.findall(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"', text, flags=re.MULTILINE))
    edges = []
    for tail, head, attrs in re.findall(r"^\s*(\w+) -> (\w+) \[(.*)\];$", text, flags=re.MULTILINE):
        label = re.search(r'label="((?:[^"\\]|\\.)*)"', attrs)
        kind = ("adjoint" if "#c0392b" in attrs else "next" if "dotted" in attrs
                else "layout" if "invis" in attrs else "data")
        edges.append((nodes[tail], nodes[head], label.group(1) if label else "", kind))
    return nodes, edges


def of_kind(edges, kind):
    return {(t, h, label) for t, h, label, k in edges if k == kind}


def test_the_readme_example_as_the_lectures_draw_it():
    # f(x, y) = x ** 3 * (x + 3 * y), both partials, at scalars
    nodes, edges = parse_dot(ad.graph(lecture.f, wrt=("x", "y"), args=(2.0, 3.0)).dot())
    assert sorted(nodes.values()) == sorted(
        ["x", "y", "t1 = x ** 3", "t2 = 3 * y", "t3 = x + t2", "out = t1 * t3", "return out",
         "+\\nx_bar"])
    assert of_kind(edges, "data") == {
        ("x", "t1 = x ** 3", "x"), ("x", "t3 = x + t2", "x"), ("y", "t2 = 3 * y", "y"),
        ("t2 = 3 * y", "t3 = x + t2", "t2"), ("t1 = x ** 3", "out = t1 * t3", "t1"),
        ("t3 = x + t2", "out = t1 * t3", "t3"), ("out = t1 * t3", "return out", "out")}
    # backwards: the seed, each rule's term, and x's two terms summed (fan-out)
    assert of_kind(edges, "adjoint") == {
        ("return out", "out = t1 * t3", "out_bar"),
        ("out = t1 * t3", "t1 = x ** 3", "out_bar * t3"),
        ("out = t1 * t3", "t3 = x + t2", "out_bar * t1"),
        ("t3 = x + t2", "t2 = 3 * y", "t3_bar"),
        ("t2 = 3 * y", "y", "3 * t2_bar"),
        ("t1 = x ** 3", "+\\nx_bar", "t1_bar * (3 * x ** 2)"),
        ("t3 = x + t2", "+\\nx_bar", "t3_bar"),
        ("+\\nx_bar", "x", "x_bar")}
    assert of_kind(edges, "next") == set()


def test_the_general_graph_has_the_terms_of_the_general_code():
    text = ad.graph(lecture.f, wrt=("x", "y")).dot()
    _, edges = parse_dot(text)
    # for arguments of any shape the terms sum broadcast axes back, as the code does
    assert ("out = t1 * t3", "t1 = x ** 3", "unbroadcast(out_bar * t3, t1)") \
        in of_kind(edges, "adjoint")
    assert "unbroadcast(out_bar * t3, t1)" in ad.show(lecture.f, wrt=("x", "y"))


def test_values_not_differentiated_have_no_adjoints():
    graph = ad.graph(lecture.f, wrt="x", args=(2.0, 3.0))
    _, edges = parse_dot(graph.dot())
    adjoints = of_kind(edges, "adjoint")
    assert not any(h in ("y", "t2 = 3 * y") for _, h, _ in adjoints)
    assert {n.label for n in graph.nodes.values() if not n.active} == {"y", "t2 = 3 * y"}
    # (as in the code: y is a number, so nothing was broadcast against x's shape)
    assert ("t3 = x + t2", "+\\nx_bar", "t3_bar") in adjoints
    assert "unbroadcast" not in ad.show(lecture.f, wrt="x", args=(2.0, 3.0))
    assert re.search(r'in_y \[label="y".*color="#999999"', graph.dot())   # drawn grey


def test_a_value_read_twice_by_one_primitive_sums_two_terms():
    nodes, edges = parse_dot(ad.graph(lecture.np_shadow, args=(2.0,)).dot())
    # np * x * x: x is read by two primitives: one + node, one edge out of it
    sums = [label for label in nodes.values() if label.startswith("+")]
    assert sums == ["+\\nx_bar"]
    assert len([e for e in of_kind(edges, "adjoint") if e[1] == "+\\nx_bar"]) == 2
    assert [e for e in of_kind(edges, "adjoint") if e[0] == "+\\nx_bar"] == [
        ("+\\nx_bar", "x", "x_bar")]


def loop_with_branch(x, n):
    s = 0.0
    for i in range(n):
        if x > 0:
            s = s + x * i
        else:
            s = s - x
    return s


def test_loops_and_branches_are_boxes_and_carried_values_go_back():
    graph = ad.graph(loop_with_branch)
    text = graph.dot()
    assert 'label="for i in range(n)"; style="rounded"' in text
    assert text.count("subgraph cluster_") == 4   # the loop, the if, then, else
    _, edges = parse_dot(text)
    carry = "s = s_2  (next iteration)"
    # both branches' s_2 reach the carry node; the carry feeds the next iteration's reads
    assert {t for t, h, _ in of_kind(edges, "data") if h == carry} == {"s_2 = s + t1",
                                                                        "s_2 = s - x"}
    assert {(t, h) for t, h, _ in of_kind(edges, "next")} == {
        (carry, "s_2 = s + t1"), (carry, "s_2 = s - x")}
    # s after the loop: its value before the loop (no iteration) or the carried one
    assert {t for t, h, _ in of_kind(edges, "data") if h == "return s"} == {"s = 0.0", carry}
    assert ("+\\nx_bar", "x", "x_bar") in of_kind(edges, "adjoint")


def test_mermaid_has_the_same_nodes_and_edges():
    graph = ad.graph(lecture.f, wrt=("x", "y"), args=(2.0, 3.0))
    text = graph.mermaid()
    assert text.splitlines()[1] == "flowchart TB"
    assert '  n1["t1 = x ** 3"]' in text and '  in_x(["x"])' in text
    arrows = re.findall(r"^  \w+ (-->|-\.->|~~~)", text, flags=re.MULTILINE)
    assert len(arrows) == len(graph.edges)
    assert arrows.count("-.->") == len([e for e in graph.edges if e.kind == "adjoint"])


def test_save_writes_by_suffix_and_keeps_files_it_did_not_write(tmp_path):
    graph = ad.graph(lecture.f)
    assert graph.save(tmp_path / "f.dot").read_text() == graph.dot()
    assert graph.save(tmp_path / "f.mmd").read_text() == graph.mermaid()
    theirs = tmp_path / "theirs.dot"
    theirs.write_text("digraph mine {}\n")
    with pytest.raises(ValueError, match="not written by adcompile"):
        graph.save(theirs)
    assert theirs.read_text() == "digraph mine {}\n"
    assert graph.save(theirs, force=True).read_text() == graph.dot()
    with pytest.raises(ValueError, match="suffixes"):
        graph.save(tmp_path / "f.txt")


# -- the command line ------------------------------------------------------------------


def adcompile(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "adcompile", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_graph_writes_dot_and_never_overwrites_a_foreign_file(tmp_path):
    out = tmp_path / "f.dot"
    result = adcompile("graph", f"{LECTURE}:f", "--wrt", "x,y", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text() == ad.graph(lecture.f, wrt=("x", "y")).dot()
    again = adcompile("graph", f"{LECTURE}:f", "-o", str(out))   # its own file: rewritten
    assert again.returncode == 0, again.stderr
    assert out.read_text() == ad.graph(lecture.f).dot()
    theirs = tmp_path / "theirs.dot"
    theirs.write_text("digraph mine {}\n")
    refused = adcompile("graph", f"{LECTURE}:f", "-o", str(theirs))
    assert refused.returncode == 1 and "not written by adcompile" in refused.stderr
    assert "Traceback" not in refused.stderr and theirs.read_text() == "digraph mine {}\n"
    forced = adcompile("graph", f"{LECTURE}:f", "-o", str(theirs), "--force")
    assert forced.returncode == 0 and theirs.read_text().startswith("// Generated by adcompile")


def test_cli_graph_prints_dot_by_default():
    result = adcompile("graph", "tests.samples.lecture:f", "--wrt", "x,y")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ad.graph(lecture.f, wrt=("x", "y")).dot()
    bad = adcompile("graph", f"{LECTURE}:f", "-o", "f.png")
    assert bad.returncode == 1 and "suffixes" in bad.stderr


def test_cli_graph_without_graphviz_writes_dot_text_instead_of_svg(tmp_path):
    bare = tmp_path / "bin"      # a PATH without the dot program
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare), "PYTHONPATH": str(ROOT)}
    result = adcompile("graph", f"{LECTURE}:f", "-o", str(tmp_path / "f.svg"), env=env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "f.svg").exists()
    assert (tmp_path / "f.dot").read_text() == ad.graph(lecture.f).dot()
    assert "Graphviz is not installed" in result.stderr and "dot -Tsvg" in result.stderr


@needs_dot
def test_cli_graph_draws_svg_with_graphviz(tmp_path):
    out = tmp_path / "f.svg"
    result = adcompile("graph", f"{LECTURE}:f", "--wrt", "x,y", "-o", str(out))
    assert result.returncode == 0, result.stderr
    svg = out.read_text()
    assert "<svg" in svg and "Generated by adcompile graph" in svg
    for label in ("t1 = x ** 3", "t3 = x + t2", "return out", "x_bar"):
        assert f">{label}</text>" in svg
    assert adcompile("graph", f"{LECTURE}:f", "-o", str(out)).returncode == 0   # ours: again


@needs_dot
def test_graph_renders_svg_for_a_notebook():
    svg = ad.graph(loop_with_branch)._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "for i in range(n)" in svg
