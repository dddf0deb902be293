"""The command line, run as a real subprocess."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
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


def adcompile_in(cwd, *args):
    """The command line run in ``cwd`` (outside the source tree), with this tree's adcompile."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "adcompile", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_version_prints_the_version_and_exits_0():
    from adcompile import __version__
    result = adcompile("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"adcompile {__version__}"


def test_build_to_standard_output_writes_no_file(tmp_path):
    result = adcompile_in(tmp_path, "build", f"{SAMPLES / 'lecture.py'}:f", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "-").exists() and list(tmp_path.iterdir()) == []
    assert result.stdout.startswith("# Generated by adcompile")
    namespace = {}
    exec(compile(result.stdout, "<stdout>", "exec"), namespace)
    assert namespace["grad_f"](2.0, 3.0) == pytest.approx(140.0)


# a file that defines a primitive and a function calling it; it imports adcompile only to
# declare the rule, so that the built module that imports sigmoid from it runs where
# adcompile is not installed
from tests.test_build import PRIMS_FOR_BUILD as PRIMS  # noqa: E402 (one copy of the file)


def test_build_of_a_file_with_a_primitive_imports_it_by_the_files_name(tmp_path):
    from tests.test_build import run_isolated
    (tmp_path / "prims.py").write_text(PRIMS)
    result = adcompile_in(tmp_path, "build", "prims.py:h", "-o", "two.py")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "two.py").read_text()
    assert "from prims import sigmoid" in text and "_user_module_" not in text
    result = run_isolated("""
        import numpy as np, two
        print(two.grad_h(np.array([0.5, -1.0])).tolist())
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    w = np.array([0.5, -1.0])
    s = 1.0 / (1.0 + np.exp(-w))
    np.testing.assert_allclose(eval(result.stdout), s + w * s * (1.0 - s), rtol=1e-12)


def test_build_of_a_file_with_a_primitive_its_module_cannot_find_is_refused(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "prims.py").write_text(PRIMS)
    (tmp_path / "elsewhere").mkdir()
    result = adcompile_in(tmp_path / "elsewhere", "build", f"{tmp_path / 'lib' / 'prims.py'}:h",
                          "-o", "two.py")
    assert result.returncode == 1
    assert "sigmoid" in result.stderr and "sys.path" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "elsewhere" / "two.py").exists()
    # on sys.path (here the current folder), the name finds it
    result = adcompile_in(tmp_path / "lib", "build", "prims.py:h", "-o",
                          str(tmp_path / "elsewhere" / "two.py"))
    assert result.returncode == 0, result.stderr
    assert "from prims import sigmoid" in (tmp_path / "elsewhere" / "two.py").read_text()


def test_build_command_honours_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        result = adcompile_in(tmp_path, "build", f"{SAMPLES / 'lecture.py'}:f", "-o", "g.py")
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "g.py").stat().st_mode) == 0o640


@pytest.mark.parametrize("how", ["file", "module"])
def test_sys_exit_while_importing_the_users_module_is_an_error_with_its_code(tmp_path, how):
    (tmp_path / "exits.py").write_text("import sys\n\ndef f(x):\n    return x * x\n\n"
                                       "sys.exit(3)\n")
    target = "exits.py:f" if how == "file" else "exits:f"
    result = adcompile("show", target, cwd=tmp_path)
    assert result.returncode == 1, (result.returncode, result.stderr)
    err = result.stderr
    assert err.startswith("adcompile: error:") and "sys.exit(3)" in err, err
    assert "__main__" in err and "Traceback" not in err, err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_while_importing_exits_130_with_one_line(tmp_path):
    import signal
    import time
    started = tmp_path / "started"
    (tmp_path / "slow.py").write_text(
        "import pathlib, time\n\ndef f(x):\n    return x * x\n\n"
        f"pathlib.Path({str(started)!r}).write_text('1')\ntime.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-m", "adcompile", "show", "slow.py:f"],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the module was never imported"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130, (child.returncode, err)
    assert err.strip() == "adcompile: interrupted", err
    assert out == ""
