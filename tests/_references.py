"""Reference formulas shared by several test files (independent of freealg's engine)."""

import mpmath
import numpy as np
import sympy as sp


def wachter_edges(alpha, beta):
    """lambda_pm = alpha + beta - 2 alpha beta +- sqrt(4 alpha beta (1-alpha)(1-beta))
    (Wachter 1980; Collins 2005)."""
    a, b = sp.sympify(alpha), sp.sympify(beta)
    c = a + b - 2 * a * b
    r = sp.sqrt(4 * a * b * (1 - a) * (1 - b))
    return c - r, c + r


def mps_stieltjes(z, p, q, v, taus, weights, dps):
    """m(z) = tau_q((M - z)^-1) for M = X^T A X, X of shape (p, q) with entries of variance v/N.

    Silverstein 1995 (Thm 1.1; Silverstein-Bai 1995): for B = (1/n) Z^* T Z with Z an m x n
    matrix of iid variance-1 entries, T (m x m) with spectral law H and m/n -> y,
        m(z) = -1 / (z - y * int tau dH(tau) / (1 + tau m(z))).
    Here X = sqrt(v/N) Z, m = pN, n = qN, so M = (1/n) Z^T (v q A) Z: y = p/q, H = law(v q A).
    Solved by Newton's method in mpmath, continued from z + 10i down to z."""
    with mpmath.workdps(dps):
        y = mpmath.mpf(p) / q
        ts = [mpmath.mpf(v) * q * t for t in taus]
        ws = [mpmath.mpf(w) for w in weights]

        def F(m, zz):
            return m * (zz - y * sum(w * t / (1 + t * m) for t, w in zip(ts, ws))) + 1

        return continued_root(F, z, dps)


def continued_root(F, z, dps):
    """The root m of F(m, z) = 0 that behaves like -1/z at infinity (a Stieltjes transform):
    mpmath.findroot continued from z + 10i down to z in 40 steps, at the caller's precision."""
    m = -1 / (z + 10j)
    for s in mpmath.linspace(10, 0, 41):
        zz = z + 1j * s
        m = mpmath.findroot(lambda mm, zz=zz: F(mm, zz), m, tol=mpmath.mpf(10) ** (-dps + 5))
    return m


def stieltjes_agrees(G, ev, n, points):
    """Whether the empirical Cauchy transform (1/M) sum 1/(z - lambda_i) of a sample of N x N
    matrices is within 10/(N eta^2) of G(z) at z = x + i eta, for each point. For invariant
    ensembles a linear statistic sum f(lambda_i) fluctuates by O(1) and has an O(1) bias, so the
    normalised mean errs by O(1/N), times the Lipschitz constant 1/eta^2 of f = 1/(z - x)
    (Bai-Silverstein 2010, Ch. 9); 10 is a generous constant."""
    ok = True
    for x, eta in points:
        z = complex(float(x), float(eta))
        emp = complex(np.mean(1 / (z - ev)))
        ok &= abs(emp - complex(G(z))) <= 10 / (n * float(eta) ** 2)
    return bool(ok)


def weight_jacobian_gram(Ws, out, eps=1e-6):
    """(1/n) J_theta J_theta^T for the weight gradients J_theta = d out / d vec(W_1..W_L) of a
    network's forward map ``out(Ws)`` (n = its output dimension), by central finite
    differences over every weight entry: the definition of the per-sample Fisher dual."""
    cols = []
    for l, W0 in enumerate(Ws):
        for i in range(W0.shape[0]):
            for j in range(W0.shape[1]):
                wp = [W.copy() for W in Ws]
                wm = [W.copy() for W in Ws]
                wp[l][i, j] += eps
                wm[l][i, j] -= eps
                cols.append((out(wp) - out(wm)) / (2 * eps))
    Jt = np.array(cols).T
    return Jt @ Jt.T / Jt.shape[0]
