"""Every lecture example in examples/ runs and reproduces its lecture's result.

Each example asserts its own result (140/24, df/dy = 5, >= 95% accuracy, the
flipped prediction, ...); here each runs in its small mode, in this process, and
the test checks what it returns and the figures it saves. The figures go to a
temporary directory (ADCOMPILE_EXAMPLES_OUT), never into examples/out/.
"""

import ast
import importlib
import os
import re
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
OUT = os.path.join(EXAMPLES, "out")
NAMES = sorted(name[:-3] for name in os.listdir(EXAMPLES)
               if name.endswith(".py") and not name.startswith("_"))


@pytest.fixture(scope="module", autouse=True)
def examples_on_path():
    import matplotlib
    matplotlib.use("Agg")
    sys.path.insert(0, EXAMPLES)
    yield
    sys.path.remove(EXAMPLES)


def snapshot(folder):
    """The files under ``folder`` with their sizes and modification times."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            info = os.stat(path)
            found[os.path.relpath(path, folder)] = (info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture(autouse=True)
def figures_in_tmp(tmp_path, monkeypatch):
    """Each test's figures go to its own temporary directory; examples/out/ stays as it was."""
    out = tmp_path / "figures"
    monkeypatch.setenv("ADCOMPILE_EXAMPLES_OUT", str(out))
    before = snapshot(OUT)
    yield out
    assert snapshot(OUT) == before, "an example wrote into examples/out/"


def run(name, capsys):
    module = importlib.import_module(name)
    result = module.main(small=True)
    return result, capsys.readouterr().out


def saved(name):
    path = os.path.join(os.environ["ADCOMPILE_EXAMPLES_OUT"], name + ".png")
    return os.path.exists(path) and os.path.getsize(path) > 1000


@pytest.fixture
def figures(monkeypatch):
    """The figures examples save, by name: each example's ``savefig`` is wrapped to keep them."""
    import _common
    kept = {}

    def keep(fig, name):
        kept[name] = fig
        return _common.savefig(fig, name)

    for name in NAMES:
        module = importlib.import_module(name)
        if hasattr(module, "savefig"):
            monkeypatch.setattr(module, "savefig", keep)
    return kept


@pytest.mark.parametrize("name", NAMES)
def test_docstring_gives_the_command(name):
    with open(os.path.join(EXAMPLES, name + ".py")) as f:
        doc = ast.get_docstring(ast.parse(f.read()))
    assert f"python examples/{name}.py" in doc


def test_reverse_vs_forward(capsys):
    (reverse_times, forward_times), out = run("reverse_vs_forward", capsys)
    assert "(df/dx, df/dy) = (140.0, 24.0)" in out
    assert "df/dx = 140.0 (tangent (1, 0)), df/dy = 24.0 (tangent (0, 1))" in out
    assert forward_times[-1] > 10 * reverse_times[-1]
    assert saved("reverse_vs_forward")


def test_one_neuron(capsys):
    history, out = run("one_neuron", capsys)
    assert history[-1] < 0.01 * history[0]
    for name in ("e_bar", "v_bar", "h_bar", "z_bar", "w_bar"):
        assert f"    {name} = " in out          # a statement of the printed adjoint
    assert "all five equal" in out
    assert saved("one_neuron_loss")


def test_sgd_with_and_without_replacement(capsys, figures):
    run("sgd_replacement", capsys)
    assert saved("sgd_averaging") and saved("sgd_least_squares")
    running = figures["sgd_averaging"].axes[0]         # the running averages, whole
    low, high = running.get_ylim()
    for line in running.get_lines():
        y = line.get_ydata()
        assert low <= min(y) and max(y) <= high, line.get_label()


def test_digits_mlp_reaches_95_percent(capsys):
    (_, accuracy), out = run("digits_mlp", capsys)
    assert accuracy >= 0.95
    assert "equal the lecture's formulas" in out
    assert saved("digits_mlp_loss")


def test_spiral_classifier_with_dict_parameters(capsys):
    (history, accuracy), out = run("spiral_classifier", capsys)
    assert accuracy >= 0.9 and history[-1] < 0.2 * history[0]
    assert "central finite differences agree, leaf by leaf" in out
    assert "return {'layers': [{'W': params_layers_0_W_bar" in out


def test_adversarial_inputs_flip_the_prediction(capsys, figures):
    (flipped, median_change), out = run("adversarial", capsys)
    assert flipped >= 18 and median_change < 0.25
    assert "X_bar = " in out
    assert saved("adversarial")
    fig = figures["adversarial"]
    perturbations = [ax for ax in fig.axes if ax.get_title().startswith("perturbation")]
    assert len(perturbations) == 4
    for ax in perturbations:                               # each with its colour scale
        colorbar = ax.images[0].colorbar
        assert colorbar is not None
        assert colorbar.vmin == -colorbar.vmax > -1


def test_window_classifier(capsys):
    (precision, recall), out = run("window_classifier", capsys)
    assert precision >= 0.9 and recall >= 0.9
    assert "equal the closed forms" in out
    assert "[seoul" in out and "[nairobi" in out and "[kyoto" in out   # unseen words, by context


def test_computation_graph(capsys):
    grads, out = run("computation_graph", capsys)
    assert grads == (2.0, 5.0, 0.0)
    assert "y_bar = b_bar * (y >= z) + a_bar" in out


def test_newton_cg(capsys):
    (norms, _), out = run("newton_cg", capsys)
    assert norms[-1] < 1e-10 and len(norms) <= 20
    assert "H v from one forward-over-reverse sweep" in out
    assert saved("newton_cg")


def test_tutorial_figures_exist():
    """Every figure docs/tutorial.md embeds is committed, and every example is in it."""
    docs = os.path.join(os.path.dirname(EXAMPLES), "docs")
    with open(os.path.join(docs, "tutorial.md")) as f:
        text = f.read()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) >= 7
    for image in images:
        assert os.path.exists(os.path.join(docs, image)), image
    for name in NAMES:
        assert f"examples/{name}.py" in text, name


def test_figures_go_to_the_output_directory(figures_in_tmp):
    """savefig honours ADCOMPILE_EXAMPLES_OUT (and examples/out/ is left alone: the fixture)."""
    import _common
    plt = _common.pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = _common.savefig(fig, "a_test_figure")
    assert path == str(figures_in_tmp / "a_test_figure.png")
    assert os.path.getsize(path) > 1000
    assert not os.path.exists(os.path.join(OUT, "a_test_figure.png"))


def test_examples_out_is_ignored_by_git():
    with open(os.path.join(os.path.dirname(EXAMPLES), ".gitignore")) as f:
        assert "examples/out/" in f.read().split()


def test_runs_as_a_script(figures_in_tmp):
    """The command in the docstring, as a user types it (the fastest example)."""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(EXAMPLES) + os.pathsep
               + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg",
               ADCOMPILE_EXAMPLES_OUT=str(figures_in_tmp))
    done = subprocess.run([sys.executable, os.path.join("examples", "computation_graph.py")],
                          cwd=os.path.dirname(EXAMPLES), env=env, capture_output=True, text=True,
                          check=False,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "df/dx, df/dy, df/dz = (2.0, 5.0, 0.0)" in done.stdout


def test_gp_marginal_likelihood_with_scipy_densities(capsys):
    pytest.importorskip("scipy")
    (start, end, error, noise), out = run("gp_marginal_likelihood", capsys)
    assert error < 1e-6                      # the gradient through SciPy's densities
    assert end > start + 20 and 0.03 < noise < 0.3
    assert "adcompile - finite differences" in out


def test_robust_regression_with_scipy_densities(capsys):
    pytest.importorskip("scipy")
    (start, end, error, slope_least_squares, slope), out = run("robust_regression", capsys)
    assert error < 1e-6                      # the gradient through t, gamma and norm densities
    assert end > start + 20
    assert abs(slope - 0.8) < 0.1 < abs(slope_least_squares - 0.8)
    assert "adcompile - finite differences" in out
