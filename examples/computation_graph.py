"""Example 7: a computation graph, run backwards.

    python examples/computation_graph.py

f(x, y, z) = (x + y) * max(y, z) at (x, y, z) = (1, 2, 0). Forward, the graph
computes a = x + y = 3, b = max(y, z) = 2 and f = a * b = 6. Backward, each node
passes its output's adjoint to its inputs through its local derivative:

* the product sends b_bar = a = 3 and a_bar = b = 2;
* the sum copies a_bar to both inputs: x_bar gets 2, y gets 2 on this path;
* max is a router: it sends b_bar = 3 to whichever input won (y), 0 to the other.

y feeds two nodes (the sum and the max), so its adjoint is the sum over both paths
(fan-out): df/dy = 3 + 2 = 5. z lost the max, so df/dz = 0.
"""

from _common import heading, side_by_side

import adcompile as ad


def f(x, y, z):
    a = x + y
    b = max(y, z)
    return a * b


DERIVATION = """
(f_bar = 1 comes in as out_bar)

a = x + y                          = 3
b = max(y, z)                      = 2
b_bar = f_bar * a                  = 3
a_bar = f_bar * b                  = 2
x_bar = a_bar                      = 2
y_bar = b_bar * [y >= z] + a_bar   = 3 + 2 = 5   (fan-out)
z_bar = b_bar * [z > y]            = 0           (max routes to y)
"""


def main(small=False):
    heading("(x + y) * max(y, z) at (1, 2, 0)")
    code = ad.show(f, wrt=("x", "y", "z"), args=(1.0, 2.0, 0.0))
    side_by_side(DERIVATION, code)

    grads = ad.grad(f, wrt=("x", "y", "z"))(1.0, 2.0, 0.0)
    print(f"\ndf/dx, df/dy, df/dz = {grads}")
    assert grads == (2.0, 5.0, 0.0), grads

    # The fan-out sum is one statement of the generated code: y_bar adds the two paths.
    y_line = next(line.strip() for line in code.splitlines() if line.strip().startswith("y_bar ="))
    assert "+" in y_line, y_line
    print(f"fan-out:  {y_line}   ->  3 * 1 + 2 = 5")
    z_line = next(line.strip() for line in code.splitlines() if line.strip().startswith("z_bar ="))
    print(f"routing:  {z_line}   ->  3 * (0 > 2) = 0")

    # The max decides its route on every call: with z = 4 it sends its adjoint to z.
    other = ad.grad(f, wrt=("x", "y", "z"))(1.0, 2.0, 4.0)
    print(f"at (1, 2, 4) max picks z instead:  {other}")
    assert other == (4.0, 4.0, 3.0), other
    ad.check_grad(f, 1.0, 2.0, 0.0, wrt=("x", "y", "z"))
    print("central finite differences agree")
    return grads


if __name__ == "__main__":
    main()
