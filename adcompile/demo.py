"""``adcompile demo``: the lecture example, its generated adjoint, and a check."""

import adcompile as ad


def f(x, y):
    return x ** 3 * (x + 3 * y)


def main():
    print("The lecture example:\n")
    print("    def f(x, y):\n        return x ** 3 * (x + 3 * y)\n")
    print("adcompile reads its source and generates this adjoint (specialised to scalars):\n")
    print(ad.show(f, wrt=("x", "y"), args=(2.0, 3.0)))
    df = ad.grad(f, wrt=("x", "y"))
    gx, gy = df(2.0, 3.0)
    print(f"gradient at (x, y) = (2, 3):  df/dx = {gx:g}, df/dy = {gy:g}")
    print(f"by hand:                      df/dx = 4x^3 + 9x^2 y = {4 * 8 + 9 * 4 * 3}, "
          f"df/dy = 3x^3 = {3 * 8}")
    error = ad.check_grad(f, 2.0, 3.0, wrt=("x", "y"))
    print(f"central finite differences agree (largest error {error:.1e})")
    assert (gx, gy) == (140.0, 24.0)
