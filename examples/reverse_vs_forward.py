"""Example 1: reverse mode against forward mode.

    python examples/reverse_vs_forward.py    # add --small for smaller sizes

1. f(x, y) = x^3 (x + 3y) at (2, 3). The reverse-mode code adcompile generates
   gives both partials, df/dx = 4x^3 + 9x^2 y = 140 and df/dy = 3x^3 = 24, from
   one backward sweep. Forward mode pushes one tangent (x_dot, y_dot) through the
   program per sweep: (1, 0) gives df/dx, (0, 1) gives df/dy, two sweeps.

2. The matrix-chain lesson behind it. For A (m x n), B (n x p) and a vector c,
   (A B) c costs mnp + mp multiplications and A (B c) costs np + mn. A gradient
   is a product of Jacobians with a vector at one end: reverse mode multiplies
   from the vector's end, as A (B c) does, and never forms a matrix-matrix product.

3. ad.jacobian of f: R^n -> R, f(x) = sum(tanh(A x)), in both modes as n grows:
   reverse mode needs one backward sweep, forward mode n tangent sweeps, so the
   forward-mode Jacobian costs about n times more (the figure plots both).
"""

import argparse
import time

import numpy as np
from _common import best_time, heading, pyplot, savefig, side_by_side

import adcompile as ad


def f(x, y):
    return x ** 3 * (x + 3 * y)


def layer_sum(x, A):
    return np.sum(np.tanh(A @ x))


REVERSE = """
x^3 (x + 3y) at (2, 3):

t1 = x^3                   = 8
t2 = x + 3y                = 11
t2_bar = f_bar t1          = 8
t1_bar = f_bar t2          = 11
x_bar = t2_bar + t1_bar 3x^2
      = 8 + 11 * 12        = 140
y_bar = 3 t2_bar           = 24
"""

FORWARD = """
one sweep per tangent (x_dot, y_dot):

t1 = x^3
t2 = x + 3y
f = t1 t2
f_dot = 3x^2 x_dot t2 + (x_dot + 3 y_dot) t1
  (1, 0): 12 * 11 + 8     = 140
  (0, 1): 3 * 8           = 24
"""


def part_scalar():
    heading("1. f(x, y) = x^3 (x + 3y) at (2, 3): one reverse sweep, two forward sweeps")
    side_by_side(REVERSE, ad.show(f, wrt=("x", "y"), args=(2.0, 3.0)),
                 titles=("reverse mode, by hand", "ad.show(f, wrt=('x', 'y'), args=(2.0, 3.0))"))
    print()
    forward_code = ad.show(f, wrt=("x", "y"), mode="forward", args=(2.0, 3.0))
    side_by_side(FORWARD, forward_code,
                 titles=("forward mode, by hand", "ad.show(f, wrt=('x', 'y'), mode='forward', ...)"))
    gradient = ad.grad(f, wrt=("x", "y"))(2.0, 3.0)
    push = ad.jvp(f, wrt=("x", "y"))
    _, dfdx = push(2.0, 3.0, (1.0, 0.0))
    _, dfdy = push(2.0, 3.0, (0.0, 1.0))
    print(f"\nreverse, one sweep:    (df/dx, df/dy) = {gradient}")
    print(f"forward, two sweeps:   df/dx = {dfdx} (tangent (1, 0)), "
          f"df/dy = {dfdy} (tangent (0, 1))")
    assert gradient == (140.0, 24.0) and (dfdx, dfdy) == (140.0, 24.0)


def part_matrix_chain(size, rng):
    m = n = p = size
    heading(f"2. The matrix chain: A ({m} x {n}), B ({n} x {p}), c ({p})")
    A, B, c = rng.normal(size=(m, n)), rng.normal(size=(n, p)), rng.normal(size=p)
    left = best_time(lambda A, B, c: (A @ B) @ c, (A, B, c))
    right = best_time(lambda A, B, c: A @ (B @ c), (A, B, c), number=20)
    print(f"(A B) c: mnp + mp = {m * n * p + m * p:>12,} multiplications, {left * 1e3:8.3f} ms")
    print(f"A (B c): np + mn  = {n * p + m * n:>12,} multiplications, {right * 1e3:8.3f} ms")
    print(f"A (B c) is {left / right:.0f} times faster: the vector goes first, as in reverse mode")
    np.testing.assert_allclose((A @ B) @ c, A @ (B @ c), rtol=1e-9, atol=1e-9)
    assert left > 3 * right, (left, right)
    return left, right


def part_jacobian(sizes, rng):
    heading("3. ad.jacobian of f: R^n -> R, f(x) = sum(tanh(A x)), in both modes")
    print(f"{'n':>6} {'reverse':>12} {'forward':>12} {'forward / reverse':>18}")
    reverse_times, forward_times = [], []
    for n in sizes:
        x, A = rng.normal(size=n), rng.normal(size=(n, n)) / np.sqrt(n)
        reverse = ad.jacobian(layer_sum, wrt="x", mode="reverse")
        forward = ad.jacobian(layer_sum, wrt="x", mode="forward")
        np.testing.assert_allclose(forward(x, A), reverse(x, A), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(reverse(x, A), ad.grad(layer_sum)(x, A), rtol=1e-12)
        t_reverse = best_time(reverse, (x, A), number=5)
        t_forward = best_time(forward, (x, A), repeat=3)
        reverse_times.append(t_reverse)
        forward_times.append(t_forward)
        print(f"{n:>6} {t_reverse * 1e3:>10.3f}ms {t_forward * 1e3:>10.3f}ms "
              f"{t_forward / t_reverse:>17.0f}x")
    # forward mode runs n sweeps where reverse runs one: the gap grows with n
    assert forward_times[-1] > 10 * reverse_times[-1]
    ratios = np.array(forward_times) / np.array(reverse_times)
    assert ratios[-1] > 4 * ratios[0], ratios
    return np.array(reverse_times), np.array(forward_times)


def plot(sizes, reverse_times, forward_times):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    sizes = np.array(sizes)
    ax.loglog(sizes, forward_times * 1e3, marker="o", label="forward mode (n sweeps)")
    ax.loglog(sizes, reverse_times * 1e3, marker="o", label="reverse mode (1 sweep)")
    ax.set_xlabel("n (number of inputs)")
    ax.set_ylabel("time for the Jacobian (ms)")
    ax.set_title(r"ad.jacobian of $f(x) = \sum \tanh(Ax)$, $\mathbb{R}^n \to \mathbb{R}$")
    ax.legend()
    fig.tight_layout()
    savefig(fig, "reverse_vs_forward")


def main(small=False):
    rng = np.random.default_rng(0)
    part_scalar()
    part_matrix_chain(200 if small else 500, rng)
    sizes = [8, 16, 32, 64, 128] if small else [8, 16, 32, 64, 128, 256, 512]
    reverse_times, forward_times = part_jacobian(sizes, rng)
    plot(sizes, reverse_times, forward_times)
    return reverse_times, forward_times


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="smaller sizes")
    main(parser.parse_args().small)
