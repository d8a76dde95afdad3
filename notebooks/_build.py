"""Build the notebooks (outputs stripped) from the cell lists below: python notebooks/_build.py"""

import os

import nbformat as nbf

HERE = os.path.dirname(os.path.abspath(__file__))

NOTEBOOKS = {
    "01_quickstart.ipynb": [
        ("md", "# Quickstart: a polynomial, its equations, its spectrum, and a random matrix\n\n"
               "`x + u a u*`: a semicircular plus a Haar-rotated deterministic matrix with "
               "spectrum {0, 1, 3}. freealg compiles it to subordination equations, solves them, "
               "and checks the result against the exact trace and a Monte Carlo sample."),
        ("code", "import numpy as np, sympy as sp\nimport freealg as fa\n\n"
                 "x = fa.semicircular('x')\nu = fa.haar_unitary('u')\n"
                 "a = fa.selfadjoint('a', fa.discrete([0, 1, 3]))\nP = x + u * a * u.H\n"
                 "system = fa.compile(P)\nprint(system.explain())\nsystem"),
        ("code", "sol = fa.spectrum(P, dps=30)\nedges = sol.edges()\nedges"),
        ("code", "# exact moments from the law tree equal the exact trace (moment-cumulant formula)\n"
                 "assert sol.moments(5) == [fa.trace(P**k) for k in range(1, 6)]\n"
                 "# two bands: the semicircle does not fill the gap between the atoms 1 and 3\n"
                 "# of a; all four edges are square-root (soft) edges of the subordinated law\n"
                 "assert [e.kind for e in edges] == ['soft'] * 4\n"
                 "sol.density(np.linspace(-2, 4, 7))"),
        ("code", "ev = fa.sample(P, n=1000, seed=0)\nreport = fa.compare(sol, ev)\n"
                 "print(report)\nassert report.agrees"),
        ("code", "try:\n    import matplotlib\n    matplotlib.use('Agg')\n"
                 "    fig = fa.plotting.histogram(sol, ev)\nexcept ImportError:\n"
                 "    print('pip install \"freealg-cas[plot]\" for the plot')"),
    ],
    "02_closed_forms.ipynb": [
        ("md", "# Deriving closed forms\n\nThe algebraic curve of free Poisson ⊞ semicircle, the "
               "Wachter law from `p q p`, the arcsine law from `u + u*`, and symbolic "
               "parameters kept symbolic until solved."),
        ("code", "import sympy as sp\nimport freealg as fa\n\n"
                 "rho = fa.free_additive(fa.semicircle(1), fa.marchenko_pastur(sp.Rational(1, 2)))\n"
                 "curve = rho.curve()\ncurve.as_expr()"),
        ("code", "# the cubic P(z, G) = 0 (R-transforms add: R = w + 2/(2 - w))\n"
                 "z, G = sp.symbols('z G')\n"
                 "assert sp.expand(curve.as_expr() - (G**3 - G**2*z - 2*G**2 + 2*G*z - G - 2)) == 0\n"
                 "rho.edges(dps=25)"),
        ("code", "p = fa.projection('p', sp.Rational(1, 2))\nq = fa.projection('q', sp.Rational(1, 3))\n"
                 "wachter = fa.spectrum(p * q * p)\nwachter.atoms()"),
        ("code", "# Wachter 1980: atom 1 - min(tau(p), tau(q)) ... here 2/3 at 0 in A\n"
                 "assert [(a.location, a.mass) for a in wachter.atoms()] == [(0, sp.Rational(2, 3))]\n"
                 "u = fa.haar_unitary('u')\narc = fa.compile(u + u.H)\n"
                 "assert arc.law == fa.arcsine(-2, 2)\narc.explain()"),
        ("code", "t = sp.Symbol('t')\npt = fa.projection('p', t)\nsym = fa.compile(pt * q * pt)\n"
                 "print(sym.latex())\n"
                 "try:\n    fa.spectrum(pt * q * pt)\nexcept fa.UndeterminedError as e:\n"
                 "    print('as expected:', e)\n"
                 "sol = fa.spectrum((pt * q * pt).subs(t, sp.Rational(1, 4)))\n"
                 "assert sol.moments(1) == [sp.Rational(1, 12)]   # tau(p q p) = tau(p) tau(q)"),
    ],
    "03_dynamical_isometry.ipynb": [
        ("md", "# Dynamical isometry: Jacobian spectra of deep networks\n\n"
               "J = D_L W_L ... D_1 W_1 (Pennington-Schoenholz-Ganguli 2017). ReLU cannot be "
               "isometric (its spectrum spreads like e L); hard-tanh near q* = 0 can."),
        ("code", "import numpy as np, sympy as sp, mpmath\nimport freealg as fa\n\n"
                 "for act, sb in [('relu', 0), ('hard_tanh', 0.05), ('tanh', 0.05)]:\n"
                 "    mf = fa.nn.MeanField(act, fa.nn.critical_sigma_w(act, sb), sb)\n"
                 "    print(f'{act:10s} critical sigma_w = {float(mf.sigma_w_):.6f}: {mf.advice()}')"),
        ("code", "net = fa.nn.MLP(3, 'relu')\nnet.jacobian_system()"),
        ("code", "rows = []\nfor L in (2, 5, 10, 20):\n"
                 "    e = fa.nn.MLP(L, 'relu').max_singular_value(20) ** 2\n"
                 "    ref = mpmath.mpf(L) ** L / mpmath.mpf(L - 1) ** (L - 1)   # min_m (1+m)/(m S(m))\n"
                 "    assert abs(e - ref) < 1e-15 * ref\n    rows.append((L, float(e), float(e) / L))\n"
                 "rows   # the edge grows like e L"),
        ("code", "for weights in ('orthogonal', 'gaussian'):\n"
                 "    net = fa.nn.MLP(3, 'relu', weights=weights)\n"
                 "    m = net.jacobian_spectrum().moments(2)\n"
                 "    print(weights, m)   # m_2 = 1 + L (orthogonal), 1 + 2L (Gaussian): PSG 2017\n"
                 "assert fa.nn.MLP(3, 'relu').jacobian_spectrum().moments(2) == [1, 4]\n"
                 "assert fa.nn.MLP(3, 'relu', weights='gaussian').jacobian_spectrum().moments(2) == [1, 7]"),
        ("code", "net = fa.nn.MLP(3, 'hard_tanh', sigma_b=sp.Rational(1, 20))\n"
                 "sol = net.jacobian_spectrum()\nev = net.sample_jacobian(n=800, seed=0, threads=1)\n"
                 "z = np.linspace(0.3, float(np.quantile(ev, 0.99)), 30) + 0.1j\n"
                 "err = np.linalg.norm(sol.cauchy(z) - (1 / (z[:, None] - ev)).mean(1)) / np.linalg.norm(sol.cauchy(z))\n"
                 "print('smoothed-density error', err)\nassert err < 2 * np.sqrt(3 / 800)"),
        ("code", "deep = fa.nn.MLP(20, 'hard_tanh', sigma_w=1, sigma_b=sp.Rational(1, 50))\n"
                 "lim = deep.limit_law()   # S = exp(-sigma0^2 m/(1+m)) (PSG 2018)\n"
                 "print(lim)\nassert all(abs(sp.N(a - b)) < 1e-12 for a, b in "
                 "zip(lim.moments(2), deep.jacobian_spectrum().moments(2)))"),
    ],
}


def main():
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
                    for kind, src in cells]
        nbf.write(nb, os.path.join(HERE, name))


if __name__ == "__main__":
    main()
