"""The cells of notebooks/07_fitting_spectra.ipynb; python notebooks/_build.py writes it with the others."""

CELLS = [
    ("md", "# Fitting spectra\n\nFree models with symbolic parameters fitted to observed "
           "eigenvalues by the **Cauchy noise loss** (Hayase, arXiv:1804.03154): the data and "
           "the model are both convolved with a Cauchy law of scale γ, whose density is "
           "$-\\operatorname{Im} G(x + i\\gamma)/\\pi$, and the parameters minimise the "
           "cross-entropy. Gradients are exact (implicit function theorem on the model's "
           "equation for G). Every data set below is simulated with numpy alone, except the "
           "last: the covariance spectrum of scikit-learn's bundled `digits` data."),
    ("code", "import numpy as np, sympy as sp\nimport freealg as fa\n\n"
             "def goe(n, rng):\n    H = rng.standard_normal((n, n))\n"
             "    return (H + H.T) / np.sqrt(2 * n)      # semicircle on [-2, 2]"),
    ("md", "## The rate of a free Poisson law\n\n$(1/p) X X^T$ with $X$ of size $p \\times n$ "
           "Gaussian has the free Poisson (Marchenko-Pastur) law of rate $n/p$. Here "
           "$p = 300$, $n = 600$: rate 2."),
    ("code", "lam = sp.Symbol('lam', positive=True)\nrng = np.random.default_rng(1)\n"
             "X = rng.standard_normal((300, 600))\nev = np.linalg.eigvalsh(X @ X.T / 300)\n"
             "res = fa.fit(fa.free_poisson(lam), ev, {lam: 1.0})\n"
             "# the mean eigenvalue (= the rate) has sd sqrt(2 p n)/p^2 = 0.0067: allow 0.05\n"
             "assert res.converged and abs(res.params[lam] - 2) < 0.05\nres"),
    ("md", "## Signal plus noise, written as a polynomial\n\n`A + s x`: $A$ deterministic with "
           "eigenvalues $\\pm a$ (half each), $x$ semicircular. The law is "
           "law(A) ⊞ semicircle(s²), and `fa.fit` takes the polynomial itself."),
    ("code", "a, s = sp.symbols('a s', positive=True)\n"
             "A = fa.selfadjoint('A', fa.discrete([-a, a], [sp.Rational(1, 2)] * 2))\n"
             "model = A + s * fa.semicircular('x')\n"
             "N = 400\nrng = np.random.default_rng(5)\n"
             "M = np.diag(np.repeat([-2.0, 2.0], N // 2)) + 0.5 * goe(N, rng)\n"
             "res = fa.fit(model, np.linalg.eigvalsh(M), {a: 1.0, s: 1.0})\n"
             "# a^2 + s^2 is the variance of the eigenvalues (sd ~ 1/N): allow 0.05 on each\n"
             "assert abs(res.params[a] - 2) < 0.05 and abs(res.params[s] - 0.5) < 0.05\nres"),
    ("code", "res.plot() if fa.deps.have('matplotlib') else None"),
    ("md", "## How many atoms? Rank estimation\n\n`fa.fit_atoms` fits "
           "$A = \\sum_{i \\le k} w_i \\delta_{a_i}$ for each $k$ and picks $k$ by BIC. Three "
           "well-separated levels $-4, 0, 4$, noise level σ fitted too:"),
    ("code", "N = 600\nrng = np.random.default_rng(4)\n"
             "ev = np.linalg.eigvalsh(np.diag(np.repeat([-4.0, 0.0, 4.0], N // 3)) "
             "+ 0.5 * goe(N, rng))\n"
             "atoms = fa.fit_atoms(ev, 'signal_plus_noise', max_atoms=4)\n"
             "assert atoms.k == 3 and abs(atoms.sigma - 0.5) < 0.05\n"
             "assert all(abs(loc - t) < 0.1 for (loc, _), t in zip(atoms.atoms, [-4, 0, 4]))\n"
             "atoms"),
    ("md", "## Population covariance from a sample covariance (compound Wishart)\n\n"
           "$n = 600$ Gaussian vectors in dimension $p = 300$ with population covariance "
           "diag(1 × 200, 4 × 100): the sample covariance has law "
           "law(T) ⊠ MP(1/2) (Silverstein-Bai), and `fit_atoms` recovers T."),
    ("code", "rng = np.random.default_rng(2)\npop = np.repeat([1.0, 4.0], [200, 100])\n"
             "Z = np.sqrt(pop)[:, None] * rng.standard_normal((300, 600))\n"
             "ev = np.linalg.eigvalsh(Z @ Z.T / 600)\n"
             "cw = fa.fit_atoms(ev, 'compound_wishart', ratio=0.5, max_atoms=3)\n"
             "(l1, w1), (l2, w2) = cw.atoms\n"
             "assert cw.k == 2 and abs(l1 - 1) < 0.05 and abs(l2 - 4) < 0.2 and "
             "abs(w1 - 2/3) < 0.03\ncw"),
    ("md", "## Real data: the covariance spectrum of `digits`\n\nThe 1797 8×8 images of "
           "scikit-learn's bundled `load_digits` (no download), standardised pixels (the 61 "
           "that vary), sample covariance of ratio $c = 61/1797$. Two free models of a sample "
           "covariance law(T) ⊠ MP(c): a population T with a few atoms (`fit_atoms`, k by "
           "BIC), and a continuous population T = free Poisson(r, j) with two symbolic "
           "parameters (`fit`)."),
    ("code", "from sklearn.datasets import load_digits\n"
             "X = load_digits().data\nX = X[:, X.std(0) > 0]\n"
             "X = (X - X.mean(0)) / X.std(0)\nn, p = X.shape\n"
             "ev = np.sort(np.linalg.eigvalsh(X.T @ X / n))\n"
             "dg = fa.fit_atoms(ev, 'compound_wishart', ratio=p / n, max_atoms=3)\n"
             "for row in dg.table:\n"
             "    print(row['k'], round(row['loss'], 4), round(row['bic'], 1), "
             "[(round(l, 3), round(w, 3)) for l, w in row['atoms']])\n"
             "# one Marchenko-Pastur law (k = 1) is rejected by far\n"
             "assert dg.k >= 2 and dg.table[0]['bic'] - min(r['bic'] for r in dg.table) > 10\n"
             "dg"),
    ("code", "r, j = sp.symbols('r j', positive=True)\n"
             "model = fa.free_multiplicative(fa.free_poisson(r, j), "
             "fa.marchenko_pastur(sp.Rational(p, n)))\n"
             "fp = fa.fit(model, ev, {r: 1.0, j: 1.0})\n"
             "# two parameters beat three atoms (five parameters) on the same loss and gamma\n"
             "assert fp.gamma == dg.gamma and fp.loss < min(row['loss'] for row in dg.table)\n"
             "# the mean of law(T) ⊠ MP(c) is the mean r j of T; standardised pixels: tr(S)/p = 1\n"
             "assert abs(np.mean(ev) - 1) < 1e-12 and abs(fp.params[r] * fp.params[j] - 1) < 0.1\n"
             "fp"),
    ("md", "How good is the fit? The Kolmogorov-Smirnov distance between the fitted CDF (the "
           "density integrated on a fine grid) and the empirical one must be below "
           "1.36/√p, the 5% critical value for p = 61 independent points. The loss is robust: "
           "the few largest eigenvalues (up to 7.3) sit in the Cauchy tails of a fit, so a "
           "few-atom population leaves them out (its KS distance is larger)."),
    ("code", "def ks(law):\n"
             "    grid = np.linspace(1e-4, ev.max() + 1, 6000)\n    dens = law.density(grid)\n"
             "    cdf = np.concatenate([[0], np.cumsum((dens[1:] + dens[:-1]) / 2 * "
             "np.diff(grid))])\n"
             "    F = np.interp(ev, grid, cdf)\n"
             "    return max(np.max(np.abs(F - np.arange(1, p + 1) / p)), "
             "np.max(np.abs(F - np.arange(p) / p)))\n\n"
             "print('KS: free Poisson population', round(ks(fp.law), 3), ' atoms', "
             "round(ks(dg.law), 3), ' critical', round(1.36 / np.sqrt(p), 3))\n"
             "assert ks(fp.law) < 1.36 / np.sqrt(p)"),
    ("code", "fp.plot() if fa.deps.have('matplotlib') else None"),
]
