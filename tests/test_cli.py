"""The command line, run as a real subprocess."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "samples"


def adcompile(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "adcompile", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_demo_prints_the_lecture_example_and_its_gradient():
    result = adcompile("demo")
    assert result.returncode == 0, result.stderr
    assert "def grad_f(x, y, *, out_bar=1.0):" in result.stdout
    assert "x_bar = " in result.stdout and "y_bar = " in result.stdout
    assert "df/dx = 140" in result.stdout and "df/dy = 24" in result.stdout
    assert "finite differences agree" in result.stdout


def test_show_file_function():
    result = adcompile("show", f"{SAMPLES / 'lecture.py'}:f", "--wrt", "x,y")
    assert result.returncode == 0, result.stderr
    code = result.stdout
    assert code.startswith("def grad_f(x, y, *, out_bar=1.0):")
    compile(code, "<shown>", "exec")
    assert "return (x_bar, y_bar)" in code


def test_show_forward_mode():
    result = adcompile("show", f"{SAMPLES / 'lecture.py'}:f", "--wrt", "x,y", "--mode", "forward")
    assert result.returncode == 0, result.stderr
    code = result.stdout
    assert code.startswith("def jvp_f(x, y, *, x_dot, y_dot):")
    compile(code, "<shown>", "exec")
    assert "out_dot = " in code and "_bar" not in code


def test_show_module_function():
    result = adcompile("show", "tests.samples.lecture:graph", "--wrt", "0,1,2")
    assert result.returncode == 0, result.stderr
    assert "def grad_graph(x, y, z, *, out_bar=1.0):" in result.stdout


def test_show_default_wrt_is_the_first_parameter():
    result = adcompile("show", "tests.samples.lecture:f")
    assert result.returncode == 0, result.stderr
    assert "return x_bar" in result.stdout and "y_bar" not in result.stdout


@pytest.mark.parametrize("args, needle", [
    (("show", "tests/samples/lecture.py:unsupported"), "try statement"),
    (("show", "tests/samples/lecture.py:missing"), "no function named 'missing'"),
    (("show", "tests/samples/nope.py:f"), "no such file"),
    (("show", "tests.samples.nomodule:f"), "cannot import module"),
    (("show", "tests/samples/lecture.py:f", "--wrt", "q"), "not a parameter"),
    (("show", "tests/samples/lecture.py:f", "--wrt", "7"), "out of range"),
])
def test_user_errors_exit_1_with_one_paragraph_and_no_traceback(args, needle):
    result = adcompile(*args)
    assert result.returncode == 1
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("adcompile: error:")
    assert "\n\n" not in result.stderr.strip()


def test_transform_error_message_points_at_the_line():
    result = adcompile("show", "tests/samples/lecture.py:unsupported")
    lines = (SAMPLES / "lecture.py").read_text().splitlines()
    lineno = next(i for i, line in enumerate(lines, 1) if line.strip() == "try:")
    assert f"lecture.py:{lineno}:" in result.stderr
    assert "try:" in result.stderr


def test_syntax_error_in_the_users_file(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text((SAMPLES / "broken_syntax.txt").read_text())
    result = adcompile("show", f"{bad}:f")
    assert result.returncode == 1
    assert "syntax error" in result.stderr and "bad.py:2" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [(), ("bogus",), ("show",), ("build", "x.py:f")])
def test_bad_usage_exits_2(args):
    assert adcompile(*args).returncode == 2


def test_build_command_writes_a_module_and_refuses_to_clobber(tmp_path):
    out = tmp_path / "g.py"
    result = adcompile("build", "tests/samples/lecture.py:f", "tests.samples.lecture:graph",
                       "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "grad_f" in result.stdout and out.exists()
    mine = tmp_path / "mine.py"
    mine.write_text("keep = True\n")
    result = adcompile("build", "tests/samples/lecture.py:f", "-o", str(mine))
    assert result.returncode == 1 and "refusing to overwrite" in result.stderr
    assert mine.read_text() == "keep = True\n"
    result = adcompile("build", "tests/samples/lecture.py:f", "-o", str(mine), "--force")
    assert result.returncode == 0 and "def grad_f" in mine.read_text()
