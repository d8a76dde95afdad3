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
        ("md", "The histogram of the sample over the density: the figure is a matplotlib `Figure` "
               "built without pyplot, so it shows itself here and never changes your "
               "matplotlib back end (needs matplotlib: `pip install matplotlib`)."),
        ("code", "if fa.deps.have('matplotlib'):\n"
                 "    fig = fa.plotting.histogram(sol, ev, title='x + u a u*: theory against "
                 "N = 1000')\nelse:\n    fig = 'pip install matplotlib for the plot'\nfig"),
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
        ("code", "# the density, the atom 2/3 at 0 as a stem on the right-hand axis, the edges dotted\n"
                 "fa.plotting.plot(wachter) if fa.deps.have('matplotlib') else None"),
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
    "04_fisher_information.ipynb": [
        ("md", "# Fisher information of deep networks and the largest stable learning rate\n\n"
               "For one input, the Fisher information of the output `h^L` with respect to the "
               "weights, `(1/N) J_θ^T J_θ`, has the nonzero spectrum of the `N x N` dual "
               "`H_L = Σ_l (|x^{l-1}|²/N) B_l B_l^T`, `B_l = ∂h^L/∂h^l` (the per-sample NTK). "
               "Hayase and Karakida (AISTATS 2021, arXiv:2006.07814) write it as the recursion "
               "`H_{l+1} = q̂_l + W_{l+1} D_l H_l D_l W_{l+1}^T`, a polynomial in free variables "
               "(`W_l` Haar and `D_l = diag φ'(h^l)` are asymptotically free: Collins-Hayase, "
               "CMP 2023, arXiv:2103.13466), so freealg compiles it like any other expression. "
               "Gradient descent with step `η/N` moves the output error by `-η H_L e`: it is "
               "stable iff `η < 2/λ_max(H_L)`.\n\n"
               "Below: the compiled system; the two-hidden-layer ReLU closed form; `λ_max` "
               "against depth (linear under dynamical isometry: the `2/L` learning-rate line, "
               "Pennington-Schoenholz-Ganguli 2017/2018); two independent ways to compute "
               "`λ_max`; the real network by back-propagation; and gradient descent just below "
               "and just above `2/λ_max` (Lewkowycz et al. 2020, arXiv:2003.02218, for what "
               "happens far above)."),
        ("code", "import numpy as np, sympy as sp, mpmath\nimport freealg as fa\n\n"
                 "q0 = sp.Rational(3, 2)\nnet = fa.nn.MLP(3, 'relu', q0=q0)   # critical: sigma_w = sqrt 2\n"
                 "print(net)\nprint(net.fisher_expr())\nsystem = net.fisher_system()\n"
                 "print(system.explain())\nsystem"),
        ("code", "# Closed form (docs/nn.md): sigma_w^2 D^2 = 2P, P a projection of trace 1/2, and for\n"
                 "# free projections of trace 1/2, PQP ~ 1/2 delta_0 + 1/2 arcsine[0, 1] (Wachter 1980),\n"
                 "# so H_3 ~ 1/2 delta_{q0} + 1/2 arcsine[3 q0, 7 q0] and lambda_max = 7 q0.\n"
                 "sol = net.fisher_spectrum()\nprint(sol.atoms())\n"
                 "a, b = 3 * q0, 7 * q0\nc, r = (a + b) / 2, (b - a) / 2\n"
                 "def arcsine_moment(k):   # x = c + r cos(theta), E cos^{2i} = C(2i, i)/4^i\n"
                 "    return sum(sp.binomial(k, j) * c**(k - j) * r**j * sp.binomial(j, j // 2) / 2**j\n"
                 "               for j in range(0, k + 1, 2))\n"
                 "closed = [(q0**k + arcsine_moment(k)) / 2 for k in range(1, 6)]\n"
                 "H = net.fisher_expr()\n"
                 "assert sol.moments(5) == closed == [fa.trace(H**k) for k in range(1, 6)]\n"
                 "assert [(A.location, A.mass) for A in sol.atoms()] == [(q0, sp.Rational(1, 2))]\n"
                 "with mpmath.workdps(30):\n"
                 "    for x in ('4.6', '6', '9.9', '10.4'):\n"
                 "        xm = mpmath.mpf(x)\n"
                 "        ref = 1 / (2 * mpmath.pi * mpmath.sqrt((xm - a) * (b - xm)))\n"
                 "        assert abs(sol.density(xm, dps=30) - ref) < 1e-25 * ref\n"
                 "assert net.lambda_max() == 7 * q0\n"
                 "print('density on [3 q0, 7 q0]:', sol.density(np.linspace(4.6, 10.4, 6)))\n"
                 "closed, net.lambda_max(), net.max_learning_rate()"),
        ("md", "## λ_max against depth: the 2/L learning-rate line\n\n"
               "Hard-tanh with orthogonal weights, `σ_w = 1`, `σ_b = 1/20` is close to dynamical "
               "isometry: `q*` is small, so `D_l` is a projection of trace `1 - e`, "
               "`e = P(|h| > 1) = erfc(1/√(2q*)) ≈ 0.0093`, and `q̂_l = q* - σ_b² = q̂` in every "
               "layer. Independent reference: every `B_l` is a product of orthogonal matrices "
               "and projections, so `‖H_L‖ ≤ Σ_l q̂ ‖B_l‖² ≤ L q̂`; and if `H_l v = c v` with "
               "`v ∈ ran D_l`, the recursion gives `H_{l+1} W_{l+1} v = (q̂ + c) W_{l+1} v`. "
               "Starting from `H_1 = q̂`, each layer loses at most a fraction `e` of these "
               "eigenvectors (rank counting; exactly `e` for free projections, "
               "`τ(P ∧ Q) = max(τP + τQ - 1, 0)`), so `H_L` has the eigenvalue `L q̂` with "
               "multiplicity `1 - (L-1) e`. Hence, as long as `(L-1) e < 1` "
               "(`L < 1 + 1/e ≈ 108`), `λ_max = L q̂` exactly, with an atom of mass "
               "`1 - (L-1) e`, and `λ_max(2L)/λ_max(L) = 2` to solver precision: the stable "
               "learning rate is `2/λ_max = (2/q̂)/L`. Beyond `L ≈ 108` the atom is gone and "
               "the line bends down."),
        ("code", "sb = sp.Rational(1, 20)\n"
                 "# q* and q-hat by closed-form Gaussian integrals (mpmath), independent of fa.nn.MeanField:\n"
                 "# E[hardtanh(h)^2] = q (erf(a/sqrt2) - 2 a phi(a)) + erfc(a/sqrt2), a = 1/sqrt(q)\n"
                 "def qhat_of(q):\n"
                 "    s = 1 / mpmath.sqrt(q)\n"
                 "    return q * (mpmath.erf(s / mpmath.sqrt(2)) - 2 * s * mpmath.npdf(s)) + mpmath.erfc(s / mpmath.sqrt(2))\n"
                 "with mpmath.workdps(30):\n"
                 "    qstar = mpmath.findroot(lambda q: qhat_of(q) + mpmath.mpf(sb)**2 - q, 0.15)   # sigma_w = 1\n"
                 "    qhat, e = qhat_of(qstar), mpmath.erfc(1 / mpmath.sqrt(2 * qstar))\n"
                 "print('q* =', qstar, ' q-hat =', qhat, ' e = P(|h| > 1) =', e, ' 1 + 1/e =', 1 + 1 / e)\n"
                 "rows, lam = [], {}\n"
                 "for L in (10, 20, 40, 80, 160):\n"
                 "    deep = fa.nn.MLP(L, 'hard_tanh', sigma_w=1, sigma_b=sb)\n"
                 "    lam[L] = mpmath.mpf(deep.lambda_max(15))\n"
                 "    rows.append((L, float(lam[L]), float(lam[L] / L), float(2 / lam[L]), float(L * 2 / lam[L])))\n"
                 "    assert lam[L] <= L * qhat * (1 + 1e-12)              # norm bound, every L\n"
                 "    if (L - 1) * e < 1:\n"
                 "        assert abs(lam[L] - L * qhat) < 1e-12 * lam[L]   # the atom at L q-hat is the top\n"
                 "        if L <= 40:\n"
                 "            top = deep.fisher_spectrum(15).atoms()[-1]\n"
                 "            assert abs(top.location - L * qhat) < 1e-12 * L and abs(top.mass - (1 - (L - 1) * e)) < 1e-12\n"
                 "for L in (10, 20, 40):\n"
                 "    assert abs(lam[2 * L] / lam[L] - 2) < 1e-11\n"
                 "print(f\"{'L':>4} {'lambda_max':>12} {'lambda_max/L':>13} {'2/lambda_max':>13} {'L*2/lambda_max':>15}\")\n"
                 "for row in rows:\n"
                 "    print('{:>4} {:>12.6f} {:>13.8f} {:>13.6f} {:>15.6f}'.format(*row))\n"
                 "print('2/L line: eta_c = c/L with c = 2/q-hat =', 2 / qhat)"),
        ("code", "# ReLU is not isometric (J J^T spreads like e L): lambda_max grows faster than L.\n"
                 "# Lower bound from the exact trace: lambda_max >= m_2/m_1 for a law on [0, inf).\n"
                 "for L in (5, 10, 20):\n"
                 "    relu = fa.nn.MLP(L, 'relu')\n"
                 "    H = relu.fisher_expr()\n"
                 "    m1, m2 = fa.trace(H), fa.trace(H**2)\n"
                 "    lm = relu.lambda_max(15)\n"
                 "    assert m1 == L and lm >= m2 / m1     # m_1 = L q0 at criticality (tau(B_l B_l^T) = 1)\n"
                 "    print(f'L = {L:2d}: lambda_max = {float(lm):9.3f}, lambda_max/L = {float(lm) / L:7.3f}, m2/m1 = {float(m2 / m1):8.3f}')"),
        ("code", "# Two independent computations of lambda_max: the chi-curve recursion through the layers\n"
                 "# (closed-form S-transforms, method='curve') and the right end of the solved law tree\n"
                 "# (method='spectrum'). Leaky ReLU, depth 3: no atom, the top is a soft edge.\n"
                 "leaky = fa.nn.MLP(3, 'leaky_relu(0.2)')\n"
                 "lc = leaky.lambda_max(15, method='curve')\nls = leaky.lambda_max(15, method='spectrum')\n"
                 "H = leaky.fisher_expr()\nm1, m2 = fa.trace(H), fa.trace(H**2)\n"
                 "assert abs(lc - ls) < 1e-10 * abs(ls) and ls >= m2 / m1\nlc, ls"),
        ("md", "## The real network\n\n"
               "`sample_fisher` builds `H_L` of width-`N` networks by a forward pass and "
               "back-propagation. The exact spectrum has `m_k` from the closed form above and "
               "`λ_max = 7 q0`; the real network's `|x^l|²/N` fluctuate around `q̂` with relative "
               "standard deviation `√(Var φ(h)²)/E φ(h)² /√N = √(5/N)` per layer for ReLU "
               "(`E relu⁴ = 3q²/2`, `E relu² = q/2`), at most `√(5L/N)` after `L` layers, so the "
               "average over `T` networks must lie within `4 √(5L/(NT))` (relative) of the limit. "
               "The atom at `q̂_2` is exact in every realisation: its multiplicity is the number "
               "of `h²_i ≤ 0`, a Binomial(N, 1/2)."),
        ("code", "N, T, L = 200, 20, 3\nm1s, m2s, tops, atom = [], [], [], []\n"
                 "for s in range(T):\n"
                 "    ev = net.sample_fisher(n=N, seed=s, threads=1)\n"
                 "    m1s.append(ev.mean()); m2s.append((ev**2).mean()); tops.append(ev.max())\n"
                 "    # the eigenvalue q-hat_2 of this network, repeated #{h^2_i <= 0} times\n"
                 "    atom.append(max(np.sum(np.abs(ev - v) < 1e-9 * ev.max()) for v in ev) / N)\n"
                 "tol = 4 * np.sqrt(5 * L / (N * T))\n"
                 "rel = {'m1': np.mean(m1s) / float(closed[0]) - 1, 'm2': np.mean(m2s) / float(closed[1]) - 1,\n"
                 "       'lambda_max': np.mean(tops) / float(7 * q0) - 1}\n"
                 "print('relative errors', rel, 'tolerance', tol)\n"
                 "print('atom mass', np.mean(atom), 'theory 1/2, tolerance', 4 * 0.5 / np.sqrt(N * T))\n"
                 "assert all(abs(v) < tol for v in rel.values())\n"
                 "assert abs(np.mean(atom) - 0.5) < 4 * 0.5 / np.sqrt(N * T)"),
        ("md", "## Gradient descent at 0.9 and 1.1 times 2/λ_max\n\n"
               "`learning_rate_experiment` trains a real ReLU network (width 200, depth 3, "
               "`q0 = 1`, so `λ_max = 7` and `η_c = 2/7` from the closed form) on a target near "
               "its initial output (the local quadratic regime): 10% below the threshold the "
               "loss converges, 10% above it the top eigendirection is amplified by "
               "`|1 - 1.1·2| = 1.2` per step and the loss grows 1000-fold."),
        ("code", "net1 = fa.nn.MLP(3, 'relu')      # q0 = 1\n"
                 "assert net1.lambda_max() == 7 and abs(float(net1.max_learning_rate(20)) - 2 / 7) < 1e-15\n"
                 "res = net1.learning_rate_experiment(factors=(0.9, 1.1), steps=60, n=200, seed=0)\n"
                 "for r_ in res:\n"
                 "    print(f\"factor {r_['factor']}: eta = {r_['eta']:.4f}, loss {r_['loss_first']:.3e} -> {r_['loss_last']:.3e}, \"\n"
                 "          f\"max {r_['loss_max']:.3e}, diverged = {r_['diverged']}\")\n"
                 "below, above = res\n"
                 "# quadratic model: the error contracts by max |1 - eta lambda| = 0.8 per step (0.64^60 ~ 1e-12\n"
                 "# in the loss); 1e-3 leaves room for the nonlinearity of the real network\n"
                 "assert not below['diverged'] and not below['unstable'] and below['loss_last'] < 1e-3 * below['loss_first']\n"
                 "assert above['diverged'] and above['unstable']\n"
                 "try:   # your own pyplot figure: Jupyter shows it inline\n"
                 "    import matplotlib.pyplot as plt\n"
                 "    fig, ax = plt.subplots()\n"
                 "    for r_ in res:\n"
                 "        ax.semilogy(r_['losses'], label=f\"eta = {r_['factor']} x 2/lambda_max\")\n"
                 "    ax.set_xlabel('step'); ax.set_ylabel('loss'); ax.legend()\n"
                 "except ImportError:\n"
                 "    print('pip install matplotlib for the plot')"),
    ],
    "05_freeness_tests.ipynb": [
        ("md", "# Checking a proof of asymptotic freeness numerically\n\n"
               "`a` and `b` are free iff every alternating product of centred elements "
               "`τ(A_1 B_1 ... A_m B_m)` (`A_j` a centred polynomial in `a`, `B_j` in `b`) "
               "vanishes (Voiculescu 1991). `fa.freeness_test` realises the pair at several "
               "sizes `N`, computes these mixed moments for powers `(1, 2)` and alternations up "
               "to length 4, and fits the decay of their root mean square over trials: "
               "`N^-1` for free pairs (second-order freeness: the fluctuations of `tr_N` are "
               "`O(1/N)`, Mingo-Speicher, *Free Probability and Random Matrices*, 2017, ch. 5), "
               "`N^0` when some limit is non-zero. Verdict *free* when the aggregate exponent "
               "`+ 2 SE < -1/2`, *not free* when some word's exponent `- 2 SE > -1/2`.\n\n"
               "The exact limits are independent of the simulation: `fa.trace` evaluates "
               "`τ(word)` from the free moment-cumulant formula (all zero for a free pair), and "
               "for commuting independent diagonals the limit is a product of Gaussian moments."),
        ("code", "import numpy as np, sympy as sp\nimport freealg as fa\n\n"
                 "def tau_word(label, a, b):\n"
                 "    \"\"\"Exact tau of a report word such as 'a b^2 a^2 b', with centred factors.\"\"\"\n"
                 "    out = fa.NCPoly.constant(1)\n"
                 "    for tok in label.split():\n"
                 "        name, _, k = tok.partition('^')\n"
                 "        P = {'a': a, 'b': b}[name] ** int(k or 1)\n"
                 "        out = out * (P - fa.trace(P))\n"
                 "    return fa.trace(out)\n\n"
                 "x, y = fa.semicircular('x'), fa.semicircular('y')\n"
                 "free = fa.freeness_test(x, y, n_values=(100, 200, 400, 800), trials=10, threads=1)\n"
                 "print(free)\n"
                 "assert all(tau_word(w, x, y) == 0 for w in free.words)     # freeness: every limit is 0\n"
                 "assert free.verdict == 'free'\n"
                 "assert abs(free.exponent + 1) < 3 * free.exponent_se      # consistent with N^-1\n"
                 "free.exponent, free.exponent_se"),
        ("code", "# mixed moments against N: N * rms stays of order one, i.e. rms ~ 1/N\n"
                 "show = ['a b', 'a^2 b^2', 'a b a b', 'a^2 b^2 a^2 b^2']\n"
                 "print(f\"{'N':>5}\" + ''.join(f'{\"rms tr(\" + w + \")\":>26}' for w in show) + f\"{'N * aggregate':>16}\")\n"
                 "for i, n in enumerate(free.n_values):\n"
                 "    print(f'{n:>5}' + ''.join(f'{free.rms[w][i]:>26.3e}' for w in show) + f'{n * free.aggregate[i]:>16.3f}')"),
        ("md", "## A pair that is not free: `x` and `x²`\n\n"
               "Realised with GUE matrices (`field='complex'`), whose expected normalised traces "
               "have `O(1/N²)` corrections only (Harer-Zagier genus expansion), so the trial "
               "means at the largest `N` must agree with the exact limits `τ(word)` within the "
               "Monte Carlo confidence interval plus a bias allowance `|τ|/N` (the genus-1 "
               "constant of `x^{2k}`, `k ≤ 6`, is at most 17.5 times its Catalan number, far "
               "below `N = 400`)."),
        ("code", "notfree = fa.freeness_test(x, x**2, n_values=(50, 100, 200, 400), trials=20, threads=1,\n"
                 "                           field='complex')\nprint(notfree)\n"
                 "assert notfree.verdict == 'not free'\n"
                 "assert abs(notfree.exponent) < 3 * notfree.exponent_se    # consistent with N^0\n"
                 "N = notfree.n_values[-1]\nrows = []\n"
                 "for w in notfree.words:\n"
                 "    t = tau_word(w, x, x**2)\n"
                 "    m, ci = notfree.mean[w][-1], notfree.ci[w][-1]\n"
                 "    rows.append((w, t, m, ci))\n"
                 "    assert abs(m - float(t)) <= 2 * ci + abs(float(t)) / N, (w, t, m, ci)\n"
                 "    if t != 0:\n"
                 "        e, se = notfree.exponents[w]\n"
                 "        assert e - 2 * se > -0.5                     # this word does not decay\n"
                 "for w, t, m, ci in rows:\n"
                 "    print(f'tau({w}) = {str(t):>4}   mean at N = {N}: {m:+.4f} +- {ci:.4f}')"),
        ("md", "## A proof checked: layerwise Jacobians of an MLP (Collins-Hayase 2023)\n\n"
               "In `h = σ_w W x`, `D = diag(tanh'(h))` is a function of `W`; still `W` (Haar "
               "orthogonal) and `D` are asymptotically free (Collins-Hayase, CMP 2023, "
               "arXiv:2103.13466), which is what makes the S-transform product of notebook 03 "
               "legitimate. `W` is not self-adjoint, so its powers are `(1, -1)` (`W` and "
               "`W*`)."),
        ("code", "from freealg.montecarlo.samplers import NumpyOps\n\n"
                 "def mlp_layer(n, rng, depth=2, sigma_w=1.5):\n"
                 "    haar = NumpyOps(rng).haar\n    x_ = rng.standard_normal(n)\n"
                 "    for _ in range(depth):\n"
                 "        W = haar(n, n, False)              # Haar orthogonal weights\n"
                 "        h = sigma_w * W @ x_               # real forward pass\n"
                 "        D = 1 - np.tanh(h) ** 2            # D = diag(phi'(h)) depends on W\n"
                 "        x_ = np.tanh(h)\n"
                 "    return W, np.diag(D)\n\n"
                 "ch = fa.freeness_test(mlp_layer, n_values=(100, 200, 400, 800), trials=10, threads=1)\n"
                 "print(ch)\nassert ch.verdict == 'free' and abs(ch.exponent + 1) < 3 * ch.exponent_se\n"
                 "ch.exponent, ch.exponent_se"),
        ("md", "## Commuting is not free: `D` against `P D P^T` for a fixed cyclic shift `P`\n\n"
               "Both are diagonal with independent neighbouring entries (classical independence). "
               "The limit of a word is then a product of Gaussian moments, "
               "`τ(A_{k1} B_{l1} ...) = E[Π (d^{k_j} - E d^{k_j})] · E[Π (d'^{l_j} - E d'^{l_j})]`, "
               "e.g. `τ(a b a b) = E[d²]² = 1`. A trial value is an average of `N` one-dependent "
               "terms `f(d_i) g(d_{i-1})`, so its variance is at most `3 E[f²] E[g²]/N` "
               "(Cauchy-Schwarz on the neighbour covariances) and the mean of `T` trials lies "
               "within `4 √(3 E[f²] E[g²]/(N T))` of the limit (the words have heavy tails: "
               "products of up to seven Gaussians, so the t-intervals of 10 trials are not "
               "used here); the centring by the sample means adds an `O(1/N)` bias."),
        ("code", "def shift_pair(n, rng):\n"
                 "    d = rng.standard_normal(n)\n"
                 "    return np.diag(d), np.diag(np.roll(d, 1))\n\n"
                 "comm = fa.freeness_test(shift_pair, n_values=(100, 200, 400, 800), trials=10, threads=1)\n"
                 "print(comm)\nassert comm.verdict == 'not free'\n"
                 "g = sp.Symbol('g')\n"
                 "def gauss(expr):    # E over g ~ N(0, 1): E g^n = (n - 1)!!\n"
                 "    return sum(c * (sp.factorial2(n - 1) if n % 2 == 0 else 0)\n"
                 "               for (n,), c in sp.Poly(sp.expand(expr), g).terms())\n"
                 "def classical(label):   # (limit, second moment) of f(d) g(d') for a word\n"
                 "    toks = label.split()\n"
                 "    pa = [int(t.partition('^')[2] or 1) for t in toks[0::2]]\n"
                 "    pb = [int(t.partition('^')[2] or 1) for t in toks[1::2]]\n"
                 "    f, h = (sp.Mul(*[g**k - gauss(g**k) for k in ks]) for ks in (pa, pb))\n"
                 "    return gauss(f) * gauss(h), gauss(f**2) * gauss(h**2)\n"
                 "N, T = comm.n_values[-1], comm.trials\n"
                 "for w in comm.words:\n"
                 "    t, V = classical(w)\n"
                 "    m, tol = comm.mean[w][-1], 4 * np.sqrt(3 * float(V) / (N * T)) + 4 * abs(float(t)) / N\n"
                 "    print(f'tau({w}) = {str(t):>2}   mean at N = {N}: {m:+.3f}   tolerance {tol:.3f}')\n"
                 "    assert abs(m - float(t)) <= tol, (w, t, m, tol)\n"
                 "e, se = comm.exponents['a b a b']\nassert classical('a b a b')[0] == 1 and abs(e) < 3 * se"),
        ("code", "from IPython.display import display\n\n"
                 "if fa.deps.have('matplotlib'):     # pip install matplotlib\n"
                 "    display(fa.plotting.freeness(free))\n"
                 "    display(fa.plotting.freeness(notfree))"),
    ],
    "06_general_polynomials.ipynb": [
        ("md", "# General polynomials: linearization and operator-valued subordination\n\n"
               "When no structural rule applies, `fa.compile` writes a self-adjoint polynomial "
               "`P` as the Schur complement of a linear pencil `L = b_0 ⊗ 1 + Σ β_l ⊗ l` "
               "(Anderson 2013; Helton-Mai-Speicher, JFA 2018) and solves the `M_k`-valued "
               "subordination equations of the free groups of letters (Helton-Rashidi "
               "Far-Speicher 2007 for semicirculars; Belinschi-Mai-Speicher, Crelle 2017). "
               "References for the closed forms checked below: the anticommutator and "
               "commutator of free semicirculars (Nica-Speicher, *Commutators of free random "
               "variables*, Duke Math. J. 92 (1998), arXiv:funct-an/9612001); compression by a "
               "free projection (Nica-Speicher, *Lectures on the Combinatorics of Free "
               "Probability*, Lecture 14); atoms by rank counting."),
        ("code", "import numpy as np, sympy as sp, mpmath\nimport freealg as fa\n"
                 "from freealg.reduce.linearize import atom_candidates\n\n"
                 "x, y = fa.semicircular('x'), fa.semicircular('y')\nP = x * y + y * x\n"
                 "system = fa.compile(P)\nprint(system.explain())\n"
                 "lin = fa.linearize(P)\nassert lin.check() == P        # a - u Q^{-1} u* reproduces P exactly\n"
                 "print(system.latex())\nlin.matrix()"),
        ("md", "## The anticommutator `xy + yx`: an independent closed form\n\n"
               "`a, b = (x ± y)/√2` are again free standard semicirculars and `xy + yx = a² - b²`, "
               "so the law is free Poisson(1) ⊞ (−free Poisson(1)) (Nica-Speicher 1998): "
               "`R(w) = 1/(1-w) - 1/(1+w)`, hence `z = R(G) + 1/G` gives the cubic "
               "`z G³ + G² - z G + 1 = 0`, whose discriminant in `G` vanishes at the edges "
               "`±√((11 + 5√5)/2) ≈ ±3.3302`."),
        ("code", "z, G, w = sp.symbols('z G w')\n"
                 "Rw = 1 / (1 - w) - 1 / (1 + w)\n"
                 "cubic = sp.numer(sp.together(Rw.subs(w, G) + 1 / G - z))     # z = R(G) + 1/G\n"
                 "assert sp.expand(cubic - (z*G**3 + G**2 - z*G + 1)) == 0\n"
                 "disc = sp.factor(sp.discriminant(z*G**3 + G**2 - z*G + 1, G))\nprint('discriminant:', disc)\n"
                 "edge = sp.sqrt((11 + 5 * sp.sqrt(5)) / 2)\nassert sp.simplify(disc.subs(z, edge)) == 0\n\n"
                 "sol = fa.spectrum(P, dps=15)\n"
                 "# moments: the law's (from the compiled system) = exact trace = the reference law's\n"
                 "ref = fa.free_additive(fa.marchenko_pastur(1), fa.affine(fa.marchenko_pastur(1), -1, 0))\n"
                 "assert sol.moments(10) == [fa.trace(P**k) for k in range(1, 11)] == ref.moments(10)\n"
                 "def cubic_density(t):   # -Im G / pi for the root with Im G < 0 (numpy roots)\n"
                 "    return max(0.0, max(-r.imag for r in np.roots([t, 1, -t, 1]))) / np.pi\n"
                 "ts = np.array([0.05, 0.7, -1.3, 2.1, 3.2, -3.3, 3.4])\n"
                 "dens = sol.density(ts)\nexact = np.array([cubic_density(t) for t in ts])\n"
                 "assert np.max(np.abs(dens - exact)) < 1e-9 and dens[-1] == 0\n"
                 "edges = sol.edges()\n"
                 "assert all(abs(E.location - s * float(edge)) <= E.error for E, s in zip(edges, (-1, 1)))\n"
                 "assert sol.atoms() == []    # nonconstant polynomials in free semicirculars have no atoms\n"
                 "edges, float(edge)"),
        ("code", "ev = fa.sample(P, n=1000, seed=0, threads=1)\nreport = fa.compare(sol, ev)\n"
                 "print(report)\nassert report.agrees\n"
                 "fa.plotting.histogram(sol, ev) if fa.deps.have('matplotlib') else None"),
        ("md", "## The commutator `i(xy - yx)`\n\n"
               "Nica-Speicher (1998): for free semicirculars the commutator has the same law as "
               "the anticommutator (free cumulants `κ_{2n} = 2`, odd ones 0). The pencil now "
               "has imaginary coefficients."),
        ("code", "C = sp.I * (x * y - y * x)\nsol_c = fa.spectrum(C, dps=15)\n"
                 "print(fa.compile(C).explain())\n"
                 "assert [fa.trace(C**k) for k in range(1, 11)] == [fa.trace(P**k) for k in range(1, 11)]\n"
                 "assert np.max(np.abs(sol_c.density(ts) - exact)) < 1e-9\nsol_c.moments(8)"),
        ("md", "## Degree three, with atoms\n\n"
               "**`p x p`**, `τ(p) = t = 1/3`, forced through the linearization (the rules would "
               "use the compression rule). `p x p` vanishes on `ker p` (dimension `1 - t`), and on "
               "`ran p` it is the compression of `x`, a semicircular of variance `t` in "
               "`(pAp, τ/t)` (Nica-Speicher, Lecture 14), which has no atom. Hence "
               "`p x p ~ (1-t) δ_0 + √(4t - s²)/(2π) ds` and `τ((pxp)^{2k}) = t^{k+1} Cat_k`."),
        ("code", "t = sp.Rational(1, 3)\np = fa.projection('p', t)\nQ = p * x * p\n"
                 "sol_q = fa.spectrum(Q, dps=15, method='linearization')\n"
                 "assert sol_q.system.steps[0].rule == 'linearization'\n"
                 "assert 0 in atom_candidates(Q)\n"
                 "assert [(A.location, A.mass) for A in sol_q.atoms()] == [(0, 1 - t)]\n"
                 "print(sol_q.law.atom_report())\n"
                 "assert sol_q.moments(8) == [0 if k % 2 else t**(k // 2 + 1) * sp.catalan(k // 2) for k in range(1, 9)]\n"
                 "ss = np.array([-1.1, -0.6, 0.05, 0.4, 1.0])\n"
                 "closed_q = np.sqrt(np.maximum(4 * float(t) - ss**2, 0)) / (2 * np.pi)\n"
                 "assert np.max(np.abs(sol_q.density(ss) - closed_q)) < 1e-9\n"
                 "list(zip(ss, sol_q.density(ss), closed_q))"),
        ("md", "**`p x q + q x p`**, `τ(p) = 1/3`, `τ(q) = 1/4`: no structural rule applies. With "
               "`X = q x p`, the polynomial is `X + X*`, so its rank is at most `2 rank X ≤ 2 τ(q)`: "
               "an atom at 0 of mass at least `1 - 2τ(q) = 1/2` (rank counting; equality for "
               "projections in general position, which the random matrices confirm by counting "
               "exact zero eigenvalues: `N - 2 round(N/4)` of them). The density has a gap around "
               "the atom."),
        ("code", "q = fa.projection('q', sp.Rational(1, 4))\nS = p * x * q + q * x * p\n"
                 "try:\n    fa.compile(S, method='rules')\nexcept fa.ReductionError as err:\n"
                 "    print('rules:', str(err)[:80], '...')\n"
                 "sys_s = fa.compile(S)\nprint(sys_s.latex())\n"
                 "sol_s = fa.spectrum(S, dps=15)\natoms_s = sol_s.atoms()\nprint(atoms_s, sol_s.law.atom_report())\n"
                 "assert [(A.location, A.mass) for A in atoms_s] == [(0, sp.Rational(1, 2))]\n"
                 "assert atoms_s[0].mass >= 1 - 2 * sp.Rational(1, 4)      # rank bound\n"
                 "n = 1000\nev_s = fa.sample(S, n=n, seed=0, threads=1)\n"
                 "zeros = int(np.sum(np.abs(ev_s) < 1e-9))\nassert zeros == n - 2 * round(n / 4)\n"
                 "# moments: exact trace = the law's; Monte Carlo within fa.compare's moment scale 4 R^k k/N\n"
                 "mom = sol_s.moments(6)\nassert mom == [fa.trace(S**k) for k in range(1, 7)]\n"
                 "Rmax = float(np.abs(ev_s).max())\n"
                 "for k in range(1, 7):\n"
                 "    assert abs(np.mean(ev_s**k) - float(mom[k - 1])) < 4 * Rmax**k * k / n\n"
                 "nonzero = np.abs(ev_s[np.abs(ev_s) >= 1e-9])\n"
                 "print('density at -0.03, 0.03, 0.5:', sol_s.density(np.array([-0.03, 0.03, 0.5])),\n"
                 "      ' smallest nonzero |eigenvalue|:', nonzero.min())"),
    ],
}


def _all_notebooks():
    """NOTEBOOKS plus the notebooks whose cells live in their own files (_build_07, _build_08)."""
    import sys
    sys.path.insert(0, HERE)
    from _build_07 import CELLS as cells_07
    from _build_08 import CELLS as cells_08
    return {**NOTEBOOKS, "07_fitting_spectra.ipynb": cells_07,
            "08_learning_rate_real_data.ipynb": cells_08}


def main():
    for name, cells in _all_notebooks().items():
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
                    for kind, src in cells]
        for i, cell in enumerate(nb.cells):  # stable ids: a rebuild changes only edited cells
            cell["id"] = f"{name.split('_')[0]}-{i:02d}"
        nbf.write(nb, os.path.join(HERE, name))


if __name__ == "__main__":
    main()
