"""The compiler (polynomial -> System -> law) against independent references.

* exact moments of the compiled law vs the exact trace tau(P^k) (free cumulants, Speicher 1994;
  NS Lectures 11, 14), for 30 polynomials;
* float64 moments from the numeric Cauchy transform (contour integral);
* closed forms: arcsine (u + u*), Wachter (p q p, Wachter 1980 / Collins 2005), semicircle ⊞ a
  two-point law solved here from R = w + R_a (Voiculescu 1986) with mpmath polyroots;
* the algebraic curve of semicircle ⊞ Marchenko-Pastur derived here from R-transforms;
* LaTeX and explain() of Systems; bad input; the NCPoly value protocol.
"""

from __future__ import annotations

import pickle
import re
import shutil
import subprocess

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import freealg as fa
from freealg.algebra.generators import Generator
from freealg.errors import InvalidParameterError, ReductionError, UndeterminedError
from freealg.laws.spectral import contour_moments

R = sp.Rational
HALF = R(1, 2)
_G, _z, _w = sp.symbols("G z w")

x = fa.semicircular("x")
y = fa.semicircular("y", 2)
u = fa.haar_unitary("u")
v = fa.haar_unitary("v")
o = fa.haar_orthogonal("o")
p = fa.projection("p", HALF)
q = fa.projection("q", R(1, 3))
LAW_A = fa.discrete([1, 2, 4], [R(1, 4), R(1, 4), R(1, 2)])  # positive discrete
a = fa.selfadjoint("a", LAW_A)
b = fa.selfadjoint("b", fa.discrete([-1, 1]))  # symmetric Bernoulli +-1
c = fa.circular("c")
c2 = fa.circular("c2")


def jacobian(L: int):
    """D_L O_L ... D_1 O_1, D_l ~ bernoulli(1/2) commuting, O_l Haar orthogonal."""
    ds = [fa.selfadjoint(f"d{l}", fa.bernoulli(HALF)) for l in range(1, L + 1)]
    if L > 1:
        ds = list(fa.commuting(*ds))
    J = fa.NCPoly.constant(1)
    for l in range(L):
        J = ds[l] * fa.haar_orthogonal(f"o{l + 1}") * J
    return J


J2, J3 = jacobian(2), jacobian(3)
# six free symmetric Bernoulli +-1: their sum is Kesten-McKay with d = 6 (Kesten 1959, McKay 1981)
BS = [fa.selfadjoint(f"b{i}", fa.discrete([-1, 1])) for i in range(1, 7)]
KM6 = BS[0] + BS[1] + BS[2] + BS[3] + BS[4] + BS[5]


# ---------------------------------------------------------------------------------------------
# 1. exact moments: compiled law vs tau(P^k)
#
# Reference for every row: tau(P^k) from the moment-cumulant formula with vanishing mixed free
# cumulants (Speicher 1994; NS Lectures 11, 14), implemented in freealg.algebra.trace and
# independent of the compiler rules and of the laws' moment code. The comment of each row names
# the theorem the compiler uses (rules.py).

K = 8  # moments m_1..m_8

MOMENT_CASES = [
    # free sum, R-transforms add (Voiculescu 1986)
    ("x+y", x + y),
    ("x^2+y", x * x + y),                      # x^2 ~ free Poisson (NS Lecture 12)
    ("x+b", x + b),
    ("a+b", a + b),
    ("p+q", p + q),
    # shifts and scales of free sums
    ("3(x+y)-1", 3 * (x + y) - 1),
    ("x+y/2+1", x + y / 2 + 1),
    ("2cc*-1", 2 * c * c.H - 1),
    ("-x+2", 2 - x),
    # words in u and u*: 2 Re u is arcsine (NS Lecture 1; Haagerup-Larsen 2000)
    ("u+u*", u + u.H),
    ("u+u*+x", u + u.H + x),
    ("o+o*", o + o.H),
    # a nontrivial reduced word W in free Haar unitaries is Haar (tau(W^n) = 0: free groups are
    # torsion free; NS Lecture 5), so c W + conj(c) W* is arcsine on [-2|c|, 2|c|]
    ("u^2+u*^2", u * u + u.H * u.H),
    ("uv+(uv)*", u * v + v.H * u.H),
    ("2i(uvu* - uv*u*)", 2 * sp.I * u * v * u.H - 2 * sp.I * u * v.H * u.H),
    # Haar conjugation: u B u* has the law of B and is free from B' (NS Lecture 5)
    ("x+uau*", x + u * a * u.H),
    ("uau*+a", u * a * u.H + a),
    ("ubu*+b", u * b * u.H + b),
    ("ux u*", u * x * u.H),
    # compression p A p (Nica-Speicher 1996)
    ("pqp", p * q * p),
    ("pxp", p * x * p),
    ("p(x+y)p", p * (x + y) * p),
    ("pap", p * a * p),
    ("pbp", p * b * p),                        # 1/2 delta_0 + 1/2 arcsine[-1, 1]
    # circular: c c* is free Poisson (NS Lecture 11); products: S-transforms multiply
    ("cc*", c * c.H),
    ("c*c", c.H * c),
    ("cc*+x", c * c.H + x),
    ("c c2 c2* c*", c * c2 * c2.H * c.H),       # Fuss-Catalan
    ("xpx", x * p * x),
    ("apa", a * p * a),
    ("aua*a", a * u * a * u.H * a),
    ("a^2", a * a),
    # J J* and J* J at depth 2, 3 (PSG 2017; depth 1-4 also in test_dynamical_isometry.py)
    ("J2J2*", J2 * J2.H),
    ("J2*J2", J2.H * J2),
    ("J3J3*", J3 * J3.H),
]


def _params(cases):
    return [pytest.param(n, P, id=n) for n, P in cases]


@pytest.mark.parametrize("name, P", _params(MOMENT_CASES))
def test_moments_equal_trace(name, P):
    sol = fa.spectrum(P)
    assert sol.moments(K) == [fa.trace(P**k) for k in range(1, K + 1)]


# Polynomials the structural rules cannot reduce; ``compile`` falls back to the linearization
# (freealg.reduce.linearize, issue 4) and the law's exact moments must still be tau(P^k).
UNREDUCED = [
    # a x a with a >= 0 discrete: tau((axa)^n) = tau((x a^2)^n), the law of
    # (a^2)^{1/2} x (a^2)^{1/2}; a B-valued semicircular (x is free from a),
    # G = tau((z - g a^2)^-1), g = tau(a^2 (z - g a^2)^-1); no rule handles a non-positive
    # middle factor
    ("axa", a * x * a),
]


@pytest.mark.parametrize("name, P", UNREDUCED, ids=[n for n, _ in UNREDUCED])
def test_moments_equal_trace_unreduced(name, P):
    sol = fa.spectrum(P)
    assert sol.system.steps[0].rule == "linearization"
    assert sol.moments(K) == [fa.trace(P**k) for k in range(1, K + 1)]
    # and the numeric G of the linearization reproduces them (contour integral)
    num = contour_moments(sol.law, 4)
    for k, e in enumerate(sol.moments(4), start=1):
        assert abs(num[k - 1] - float(e)) <= 1e-8 * max(1.0, abs(float(e)))


NUMERIC_CASES = ["x+y", "x+uau*", "pqp", "cc*+x", "p(x+y)p", "xpx", "ubu*+b",
                 "J3J3*"]


@pytest.mark.parametrize("name", NUMERIC_CASES)
def test_float64_contour_moments(name):
    # m_k = (1/2 pi i) ∮ z^k G(z) dz from the numeric G must equal the exact m_k
    P = dict(MOMENT_CASES)[name]
    sol = fa.spectrum(P)
    exact = [float(m) for m in sol.moments(K)]
    num = contour_moments(sol.law, K)
    for k, (e, n) in enumerate(zip(exact, num), start=1):
        assert abs(n - e) <= 1e-8 * max(1.0, abs(e)), (k, n, e)


# ---------------------------------------------------------------------------------------------
# 2. closed forms


def test_u_plus_ustar_is_arcsine():
    # 2 Re u for a Haar unitary u: density 1/(pi sqrt(4 - x^2)) on [-2, 2] (NS Lecture 1)
    sol = fa.spectrum(u + u.H, dps=30)
    assert sol.atoms() == []
    with mpmath.workdps(40):
        for t in ("0", "0.5", "-1.3", "1.9", "1.999"):
            X = mpmath.mpf(t)
            exact = 1 / (mpmath.pi * mpmath.sqrt(4 - X**2))
            assert abs(sol.density(X, dps=30) - exact) <= mpmath.mpf(10) ** -25 * exact
        assert sol.density(mpmath.mpf("2.5"), dps=30) == 0
    locs = sorted(sp.sympify(e.location) for e in sol.edges())
    assert locs == [-2, 2]
    # moments: central binomial coefficients
    assert sol.moments(8) == [0 if k % 2 else sp.binomial(k, k // 2) for k in range(1, 9)]


def kesten_mckay_density(d, X):
    # Kesten 1959 (Trans. AMS 92), McKay 1981 (LAA 40): d sqrt(4(d-1) - x^2)/(2 pi (d^2 - x^2))
    return d * mpmath.sqrt(4 * (d - 1) - X**2) / (2 * mpmath.pi * (d**2 - X**2))


def test_kesten_mckay_reference_mass_and_moments():
    # the closed form above integrates to 1 and its moments are the exact ones of the compiled law
    # and of the trace (closed walks on the 6-regular tree: 1, 0, 6, 0, 66); k <= 4 because
    # KM6**k has 6^k words
    assert fa.compile(KM6).law.moments(4) == [fa.trace(KM6**k) for k in range(1, 5)] == \
        [0, 6, 0, 66]
    with mpmath.workdps(30):
        r = 2 * mpmath.sqrt(5)
        for k in range(5):
            mk = mpmath.quad(lambda t, k=k: t**k * kesten_mckay_density(6, t), [-r, 0, r])
            exact = 1 if k == 0 else fa.compile(KM6).law.moment(k)
            assert abs(mk - exact) < 1e-20


def test_free_sum_of_six_bernoullis_is_kesten_mckay():
    sol = fa.spectrum(KM6, dps=30)
    assert sol.atoms() == []
    with mpmath.workdps(40):
        for t in ("0", "1.5", "-3", "4.4"):
            X = mpmath.mpf(t)
            ref = kesten_mckay_density(6, X)
            assert abs(sol.density(X, dps=30) - ref) <= mpmath.mpf(10) ** -20
    xs = np.array([0.0, 1.5, -3.0, 4.4])
    ref = np.array([float(kesten_mckay_density(6, mpmath.mpf(t))) for t in xs])
    assert np.all(np.abs(sol.density(xs) - ref) <= 1e-10)


def wachter(alpha, beta):
    """Wachter 1980 / Collins 2005: atoms and density of p q p."""
    lam0 = alpha + beta - 2 * alpha * beta
    rad = sp.sqrt(4 * alpha * beta * (1 - alpha) * (1 - beta))
    atoms = {0: sp.Max(1 - alpha, 1 - beta), 1: sp.Max(0, alpha + beta - 1)}
    atoms = {k: m for k, m in atoms.items() if m != 0}
    lo, hi = lam0 - rad, lam0 + rad

    def density(X):
        lo_, hi_ = (mpmath.mpf(sp.N(e, 60)) for e in (lo, hi))
        return mpmath.sqrt((hi_ - X) * (X - lo_)) / (2 * mpmath.pi * X * (1 - X))

    return atoms, lo, hi, density


@pytest.mark.parametrize("alpha, beta", [(HALF, R(1, 3)), (R(2, 3), R(3, 4))])
def test_pqp_is_wachter(alpha, beta):
    P = fa.projection("p", alpha) * fa.projection("q", beta) * fa.projection("p", alpha)
    sol = fa.spectrum(P, dps=30)
    atoms, lo, hi, density = wachter(alpha, beta)
    # exact atoms
    got = {sp.sympify(at.location): at.mass for at in sol.atoms()}
    assert got == atoms
    assert all(at.error == 0 for at in sol.atoms())
    with mpmath.workdps(40):
        lo_, hi_ = mpmath.mpf(sp.N(lo, 50)), mpmath.mpf(sp.N(hi, 50))
        for f in ("0.05", "0.3", "0.5", "0.8", "0.97"):
            X = lo_ + mpmath.mpf(f) * (hi_ - lo_)
            ref = density(X)
            assert abs(sol.density(X, dps=30) - ref) <= mpmath.mpf(10) ** -20 * max(1, ref)
        edges = sorted(sol.edges(), key=lambda e: float(e.location))
        assert len(edges) == 2
        assert abs(mpmath.mpf(edges[0].location) - lo_) <= mpmath.mpf(10) ** -20
        assert abs(mpmath.mpf(edges[1].location) - hi_) <= mpmath.mpf(10) ** -20
    # total mass: continuous part + atoms = 1 (checks the formula, not the library)
    with mpmath.workdps(20):
        cont = mpmath.quad(density, [mpmath.mpf(sp.N(lo, 30)), mpmath.mpf(sp.N(hi, 30))])
        assert abs(cont + sum(float(m) for m in atoms.values()) - 1) < 1e-12


# --- semicircle ⊞ a two-point law, solved here ------------------------------------------------

ALPHA, BETA, WA = -1, 2, R(1, 3)  # a ~ WA delta_ALPHA + (1 - WA) delta_BETA
LAW_2PT = fa.discrete([ALPHA, BETA], [WA, 1 - WA])


def sc_plus_two_point_curve() -> sp.Poly:
    """R_{x + a} = w + R_a (Voiculescu 1986), so K(G) = G + K_a(G) = z, i.e. G = G_a(z - G):
    G (z - G - alpha)(z - G - beta) - wa (z - G - beta) - (1 - wa)(z - G - alpha) = 0."""
    s = _z - _G
    expr = _G * (s - ALPHA) * (s - BETA) - WA * (s - BETA) - (1 - WA) * (s - ALPHA)
    return sp.Poly(sp.expand(expr), _G)


def _physical_root(P: sp.Poly, X, dps: int = 40):
    """Root of P(., x + i0) on the branch G ~ 1/z, continued from x + 10i (adaptive steps, a
    step is taken only when the nearest root is unambiguous), polished by mpmath
    polyroots at ``dps`` digits on the axis."""
    cl = [[sp.Rational(k) for k in sp.Poly(cz, _z).all_coeffs()] for cz in P.all_coeffs()]

    def coeffs(zz, conv):
        out = []
        for cs in cl:
            acc = 0 * zz
            for k in cs:
                acc = acc * zz + conv(k)
            out.append(acc)
        return out

    xf = float(X)
    y, f = 10.0, 0.5
    G = min(np.roots(coeffs(complex(xf, y), float)), key=lambda r: abs(r - 1 / complex(xf, y)))
    for _ in range(20000):
        if y <= 1e-13:
            break
        rs = sorted(np.roots(coeffs(complex(xf, y * f), float)), key=lambda r: abs(r - G))
        if abs(rs[0] - G) > 0.2 * abs(rs[1] - G):
            f = f ** 0.5
            continue
        G, y = rs[0], y * f
        f = max(f * f, 0.01) if f < 0.5 else f
    with mpmath.workdps(dps):
        rs = mpmath.polyroots(coeffs(mpmath.mpf(X), lambda k: mpmath.mpf(k.p) / k.q),
                              maxsteps=200, extraprec=200)
        rs = sorted(rs, key=lambda r: abs(r - G))
        assert abs(rs[0] - G) < 0.2 * abs(rs[1] - G)
        return rs[0]


X_PLUS_A_POINTS = ["-2.0", "-1.0", "-0.5", "1.0", "2.0", "3.0"]


def test_x_plus_uau_is_semicircle_boxplus_law_a():
    P = x + u * fa.selfadjoint("a2", LAW_2PT) * u.H
    sol = fa.spectrum(P, dps=30)
    direct = fa.free_additive(fa.semicircle(1), LAW_2PT)
    assert sol.atoms() == direct.atoms() == []  # semicircle ⊞ anything has no atoms (BV 1998)
    assert sol.moments(K) == direct.moments(K)
    curve = sc_plus_two_point_curve()
    with mpmath.workdps(40):
        for t in X_PLUS_A_POINTS + ["0.2"]:  # 0.2 lies in the gap between the two bands
            X = mpmath.mpf(t)
            G = _physical_root(curve, X)
            ref = -mpmath.im(G) / mpmath.pi
            got = sol.density(X, dps=30)
            assert abs(got - direct.density(X, dps=30)) <= mpmath.mpf(10) ** -20 * max(1, ref)
            assert abs(got - ref) <= mpmath.mpf(10) ** -20 * max(1, ref), (t, got, ref)
        assert abs(_physical_root(curve, mpmath.mpf("0.2")).imag) < mpmath.mpf(10) ** -30
        # off the axis the library's G(z) is a root of the cubic, with Im G < 0
        zz = mpmath.mpc("0.7", "0.3")
        Gc = sol.cauchy(zz, dps=30)
        coeffs = [mpmath.polyval([mpmath.mpf(sp.Rational(k).p) / sp.Rational(k).q
                                  for k in sp.Poly(cz, _z).all_coeffs()], zz)
                  for cz in curve.all_coeffs()]
        assert abs(mpmath.polyval(coeffs, Gc)) < mpmath.mpf(10) ** -25
        assert mpmath.im(Gc) < 0


def test_x_plus_uau_edges_from_discriminant():  # ~5 s: edges() of a ⊞ law
    # edges are real roots of Disc_G of the cubic where the density changes sign
    P = x + u * fa.selfadjoint("a2", LAW_2PT) * u.H
    sol = fa.spectrum(P, dps=30)
    disc = sp.Poly(sp.discriminant(sc_plus_two_point_curve().as_expr(), _G), _z)
    roots = [r for r in sp.real_roots(disc.sqf_part())]
    refs = []
    with mpmath.workdps(40):
        for r in roots:
            e = mpmath.mpf(str(sp.N(r, 50)))
            d = mpmath.mpf(10) ** -6
            inside = [-mpmath.im(_physical_root(sc_plus_two_point_curve(), e + s * d))
                      for s in (-1, 1)]
            if (inside[0] > 1e-12) != (inside[1] > 1e-12):
                refs.append(e)
        got = sorted(mpmath.mpf(e.location) for e in sol.edges())
        assert len(got) == len(refs) == 4
        for g, r in zip(got, sorted(refs)):
            assert abs(g - r) <= mpmath.mpf(10) ** -20


# ---------------------------------------------------------------------------------------------
# 3. the algebraic curve


def _same_up_to_constant(P1, P2) -> bool:
    e1, e2 = sp.expand(P1.as_expr() if hasattr(P1, "as_expr") else P1), sp.expand(P2)
    ratio = sp.cancel(e1 / e2)
    return ratio != 0 and not (ratio.free_symbols & {_G, _z})


def _curve_from_R(Rw):
    # K(w) = R(w) + 1/w = z at w = G (Voiculescu 1986), cleared of denominators
    return sp.expand(sp.numer(sp.together(Rw.subs(_w, _G) + 1 / _G - _z)))


@pytest.mark.parametrize("which", ["x + w (MP 1/2)", "x + c c*"])
def test_curve_semicircle_boxplus_marchenko_pastur(which):
    if which == "x + w (MP 1/2)":
        lam = HALF
        P = x + fa.selfadjoint("w", fa.marchenko_pastur(lam))
    else:
        lam = 1
        P = x + c * c.H
    # R of semicircle(1) is w; MP of ratio lam (mean 1, variance lam) is free Poisson with rate
    # 1/lam and jump lam: R = (1/lam) lam/(1 - lam w) = 1/(1 - lam w)
    mine = _curve_from_R(_w + 1 / (1 - lam * _w))
    assert sp.Poly(mine, _G).degree() == 3
    got = fa.compile(P).curve(_z, _G)
    assert got is not None
    assert _same_up_to_constant(got, mine), (got, mine)
    # e.g. lam = 1: G^3 - (z + 1) G^2 + z G - 1
    if lam == 1:
        assert _same_up_to_constant(got, _G**3 - (_z + 1) * _G**2 + _z * _G - 1)


# ---------------------------------------------------------------------------------------------
# 4. LaTeX and explain()

_ENVS = {"document", "aligned", "align", "align*", "equation", "equation*", "gathered", "cases",
         "array", "matrix", "pmatrix", "bmatrix", "split",
         # the paper document of System.to_tex: a "where" list and long sums broken over lines
         "itemize", "multline*"}
_MACROS = {
    # structure and spacing
    "begin", "end", "documentclass", "usepackage", "quad", "qquad", "text", "mathrm",
    "operatorname", "left", "right", "frac", "dfrac", "tfrac", "sqrt", "cdot", "cdots", "ldots",
    "dots", "times", "boxplus", "boxtimes", "infty", "to", "mapsto", "langle", "rangle", "in",
    "le", "ge", "leq", "geq", "neq", "approx", "sim", "ast", "prime", "overline", "bar", "hat",
    "tilde", "mathbb", "mathcal", "mathbf", "log", "exp", "min", "max", "sum", "prod", "int",
    "lim", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "mid", "vert", "lvert",
    "rvert", "dagger", "star", "circ", "otimes", "oplus", "pm", "mp", "colon", "limits",
    "delta", "displaystyle", "Re", "Im", "ne", "equiv", "partial", "nabla", "sigma", "tau",
    "ldotp", "dotsc", "middle", "lbrace", "rbrace", "noindent", "section", "par",
    # the paper document of System.to_tex: list items, and the box macro that scales a display
    # wider than the text down to the line width
    "item", "sloppy", "setcounter", "newsavebox", "newcommand", "sbox", "usebox", "resizebox",
    "ifdim", "wd", "linewidth", "else", "fi", "fitbox", "fitwidth",
} | set(re.findall(r"\w+", "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta "
                      "iota kappa lambda mu nu xi pi varpi rho varrho sigma varsigma tau upsilon "
                      "phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi "
                      "Psi Omega"))


def check_latex(s: str) -> None:
    """Structural validity of a LaTeX math fragment or document (no TeX installed)."""
    assert s.strip()
    assert s.isascii(), [ch for ch in s if not ch.isascii()][:5]
    for bad in ("Eq(", "Function", "Symbol(", "Poly(", "Lambda(", "<function", "object at 0x",
                "Law(", "NCPoly", "None", "sqrt(", "**"):
        assert bad not in s, f"python repr {bad!r} in LaTeX:\n{s}"
    # braces (outside \{ \})
    depth = 0
    for i, ch in enumerate(s):
        if ch in "{}" and i and s[i - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, f"unbalanced '}}' at {i}:\n{s}"
    assert depth == 0, f"unbalanced '{{':\n{s}"
    # \left ... \right pairs
    assert len(re.findall(r"\\left(?![a-zA-Z])", s)) == len(re.findall(r"\\right(?![a-zA-Z])", s))
    # environments: known, properly nested
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{([^}]*)\}", s):
        assert env in _ENVS, f"unknown environment {env!r}"
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, f"\\end{{{env}}} does not match"
    assert not stack, f"unclosed environments {stack}"
    # alignment tabs only inside aligned-type environments; every control word is known
    for macro in re.findall(r"\\([a-zA-Z]+)", s):
        assert macro in _MACROS, f"unknown macro \\{macro}"


LATEX_CASES = {
    "x+y": x + y,
    "u+u*": u + u.H,
    "pqp": p * q * p,
    "x+uau*": x + u * a * u.H,
    "cc*+x": c * c.H + x,
    "2cc*-1": 2 * c * c.H - 1,
    "J3J3*": J3 * J3.H,
    "2+p(x+a)p": 2 + p * (x + a) * p,
}


@pytest.mark.parametrize("name", list(LATEX_CASES))
def test_system_latex_is_valid(name, tmp_path):
    system = fa.compile(LATEX_CASES[name])
    check_latex(system.latex())
    assert fa.latex(system) == system.latex()
    path = system.to_tex(str(tmp_path / "system.tex"))
    with open(path) as fh:
        doc = fh.read()
    check_latex(doc)
    assert doc.lstrip().startswith("\\documentclass")
    assert "\\begin{document}" in doc and doc.rstrip().endswith("\\end{document}")
    tex = shutil.which("pdflatex") or shutil.which("latex")
    if tex:  # compile the standalone document where a TeX installation exists
        res = subprocess.run([tex, "-interaction=nonstopmode", "-halt-on-error", "system.tex"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
        assert res.returncode == 0, res.stdout[-3000:]


EXPECTED_RULES = {
    "x+y": {"free sum", "generator"},
    "u+u*": {"u + u*"},
    "pqp": {"compression", "generator"},
    "x+uau*": {"free sum", "Haar conjugation", "generator"},
    "cc*+x": {"free sum", "circular", "generator"},
    "2cc*-1": {"shift", "scale", "circular"},
    "J3J3*": {"product", "Haar conjugation", "power of a generator"},
    "2+p(x+a)p": {"shift", "compression", "free sum", "generator"},
}
# each rule's citation (rules.py docstring) must travel into explain()
RULE_REFERENCES = {"free sum": "Voiculescu 1986", "compression": "Nica-Speicher 1996",
                   "product": "Voiculescu 1987", "Haar conjugation": "unitary invariance"}


@pytest.mark.parametrize("name", list(LATEX_CASES))
def test_explain_names_every_rule(name):
    system = fa.compile(LATEX_CASES[name])
    text = system.explain()
    fired = [st.rule for st in system.steps]
    assert set(fired) == EXPECTED_RULES[name]
    heads = [ln for ln in text.splitlines() if ln and not ln.startswith(" ")]
    assert len(heads) == len(fired)
    for line, rule in zip(heads, fired):
        assert line.startswith(rule + ":"), (line, rule)
        if rule in RULE_REFERENCES:
            assert RULE_REFERENCES[rule] in line
    # every equation of the System is shown under its rule
    for eq in system.equations:
        assert sp.sstr(eq) in text


def test_compression_equation_names_its_operand():
    system = fa.compile(2 + p * (x + a) * p)
    names = {f.__name__ for f in system.unknowns}
    for eq in system.equations:
        if isinstance(eq.lhs, sp.core.function.AppliedUndef) and eq.lhs.func.__name__ == "R_c":
            k = eq.rhs.func.__name__.split("_")[1]
            assert f"G_{k}" in names, (eq, names)


def test_product_equations_define_distinct_s_transforms():
    system = fa.compile(J3 * J3.H)
    lhs = [eq.lhs for eq in system.equations if str(eq.lhs.func).startswith("S_")]
    assert len(lhs) == 2
    assert len(set(lhs)) == len(lhs), lhs


# ---------------------------------------------------------------------------------------------
# 5. bad input


@pytest.mark.parametrize("P", [x * y, c, u, x * y * x * y, u * a], ids=str)
def test_non_selfadjoint_is_rejected_with_advice(P):
    with pytest.raises(InvalidParameterError) as info:
        fa.spectrum(P)
    msg = str(info.value)
    assert "self-adjoint" in msg
    assert re.search(r"a\s*\*?\s*a\.H|a\s*a\^?\*", msg), msg  # "pass a * a.H"


def test_unknown_generator_kind():
    with pytest.raises(InvalidParameterError) as info:
        Generator("g", "foo")
    assert "foo" in str(info.value) and "kind" in str(info.value)
    assert "semicircular" in str(info.value)  # lists the known kinds


@pytest.mark.parametrize("P", [x * y + y * x, x + x * x, x * x * x + y], ids=str)
def test_irreducible_polynomial_lists_rules_tried(P):
    with pytest.raises(ReductionError) as info:
        fa.spectrum(P, method="rules")
    err = info.value
    # the error names P or the irreducible piece of it (x*x*x in x*x*x + y)
    assert err.expr == P or set(err.expr.generators) <= set(P.generators)
    assert str(err.expr) in str(err)
    assert len(err.tried) >= 3
    assert {"free sum", "Haar conjugation"} <= set(err.tried)
    msg = str(err)
    assert "tried" in msg and all(t in msg for t in err.tried)


t_sym = sp.Symbol("t")


@pytest.mark.parametrize("make", [
    lambda: fa.projection("p", t_sym) * q * fa.projection("p", t_sym),
    lambda: t_sym * x + y,
    lambda: t_sym * x,
    lambda: x + t_sym,
    lambda: fa.semicircular("s", t_sym) + y,
    lambda: fa.selfadjoint("e", fa.bernoulli(t_sym)) + x,
], ids=["p(t) q p(t)", "t x + y", "t x", "x + t", "semicircular(t) + y", "bernoulli(t) + x"])
def test_symbolic_parameters_must_be_substituted(make):
    P = make()
    with pytest.raises(UndeterminedError) as info:
        fa.spectrum(P)
    assert t_sym in info.value.symbols
    assert re.search(r"\bt\b", str(info.value))
    # substituting a number makes it solvable (symbols are real parameters)
    sol = fa.spectrum(P.subs(t_sym, R(1, 4)))
    assert len(sol.moments(2)) == 2


def test_symbolic_scale_is_kept():
    # law of t x is semicircle(t^2): m_2 = t^2 (coefficients are real parameters, ncpoly.py)
    assert fa.compile(t_sym * x).law.moments(2) == [0, t_sym**2]
    # t x + y (y of variance 2): free sum of semicircles, variance t^2 + 2 (R-transforms add)
    m = fa.compile(t_sym * x + y).law.moments(4)
    assert [sp.expand(v - r) for v, r in zip(m, [0, t_sym**2 + 2, 0, 2 * (t_sym**2 + 2) ** 2])] \
        == [0, 0, 0, 0]


def test_symbolic_system_compiles():
    # compiling keeps symbols (exact symbolic answers); only solving needs numbers
    P = fa.projection("p", t_sym) * q * fa.projection("p", t_sym)
    system = fa.compile(P)
    assert t_sym in system.parameters
    assert sp.simplify(system.law.moments(1)[0] - t_sym / 3) == 0


@pytest.mark.parametrize("make", [
    lambda: x + fa.semicircular("x", 2),
    lambda: x + fa.projection("x", HALF),
    lambda: x * fa.selfadjoint("x", LAW_A) * x,
], ids=["same kind, other variance", "other kind", "selfadjoint"])
def test_two_generators_with_the_same_name(make):
    P = make()
    for fn in (fa.spectrum, fa.compile, fa.trace):
        with pytest.raises(InvalidParameterError) as info:
            fn(P)
        assert "'x'" in str(info.value) or '"x"' in str(info.value)


def test_commuting_and_free_generator_with_the_same_name():
    d1, d2 = (fa.selfadjoint(f"d{l}", fa.bernoulli(HALF)) for l in (1, 2))
    e1, _ = fa.commuting(d1, d2)
    with pytest.raises(InvalidParameterError) as info:
        fa.spectrum(e1 + d1)  # d1 declared commuting (e1) and d1 undeclared in one expression
    assert "d1" in str(info.value)


# ---------------------------------------------------------------------------------------------
# 6. the NCPoly value protocol


def test_ncpoly_is_immutable():
    P = x * y + 2
    with pytest.raises(AttributeError):
        P._terms = ()
    with pytest.raises(AttributeError):
        P.foo = 1


def test_ncpoly_relations():
    assert p * p == p and p * p * p == p
    assert u * u.H == 1 and u.H * u == 1 and o * o.H == 1
    assert x.H == x and p.H == p and u.H.H == u
    assert (x * y).H == y * x
    assert (u * a * u.H).H == u * a * u.H
    assert u * u != 1 and x * x != x
    assert fa.trace(u * u.H) == 1


def test_ncpoly_hash_and_pickle():
    P = 3 * x * y - y * x + R(1, 2) * p * u * a + 1
    Q = 1 + R(1, 2) * p * u * a - y * x + x * y * 3
    assert P == Q and hash(P) == hash(Q)
    assert len({P, Q, P + 0}) == 1
    P2 = pickle.loads(pickle.dumps(P))
    assert P2 == P and hash(P2) == hash(P)
    assert fa.trace(P2 * P2.H) == fa.trace(P * P.H)


_LETTERS = [x, y, u, u.H, p, a, c, c.H]


@st.composite
def ncpolys(draw):
    n = draw(st.integers(1, 3))
    P = fa.NCPoly.constant(0)
    for _ in range(n):
        coef = draw(st.integers(-3, 3))
        word = draw(st.lists(st.sampled_from(range(len(_LETTERS))), min_size=0, max_size=3))
        term = fa.NCPoly.constant(coef)
        for i in word:
            term = term * _LETTERS[i]
        P = P + term
    return P


@given(ncpolys(), ncpolys(), ncpolys())
def test_ncpoly_algebra_laws(A, B, C):
    assert (A * B).H == B.H * A.H
    assert (A + B).H == A.H + B.H
    assert A.H.H == A
    assert (A * B) * C == A * (B * C)
    assert A * (B + C) == A * B + A * C
    assert A + B == B + A
    # canonical form is idempotent: rebuilding from the terms (in any order) changes nothing
    assert fa.NCPoly(A.terms) == A
    assert fa.NCPoly(tuple(reversed(A.terms))) == A
    assert fa.NCPoly(A.terms).terms == A.terms
    assert hash(fa.NCPoly(A.terms)) == hash(A)
    assert pickle.loads(pickle.dumps(A)) == A
    assert (A - A) == 0


# ---------------------------------------------------------------------------------------------
# the linear-time word path (rules._Compiler._reduce_word) is the general rules, only faster:
# same law, same equations, same provenance, same errors


def _compile_general(P, monkeypatch):
    from freealg.reduce import rules

    with monkeypatch.context() as mp:
        mp.setattr(rules._Compiler, "_reduce_word", lambda self, w, G: None)
        return fa.compile(P, method="rules")


d1 = fa.selfadjoint("d1", fa.bernoulli(HALF))
WORDS = {
    "J3J3*": J3 * J3.H,
    "J3*J3": J3.H * J3,
    "a u a u* a": a * u * a * u.H * a,
    "c c2 c2* c*": c * c2 * c2.H * c.H,
    "d1 o p a p o* d1": d1 * o * p * a * p * o.H * d1,
    "p u a u* p": p * u * a * u.H * p,
    "p u q u* p": p * u * q * u.H * p,
    "u a u* (conjugation only)": u * a * u.H,
    "a x^2 a": a * x * x * a,
    "a o x^2 o* a": a * o * x * x * o.H * a,
}
WORD_ERRORS = {
    "p a p a p (p inside)": p * a * p * a * p,
    "a b a b a (not free)": a * b * a * b * a,
    "a x a (x not positive)": a * x * a,
    "a o x o* a (x not positive)": a * o * x * o.H * a,
    "a p u a u* p a (a reused)": a * p * u * a * u.H * p * a,
}


@pytest.mark.parametrize("name", list(WORDS))
def test_word_path_matches_general_rules(name, monkeypatch):
    P = WORDS[name]
    fast, slow = fa.compile(P), _compile_general(P, monkeypatch)
    assert fast.law == slow.law
    assert [str(e) for e in fast.equations] == [str(e) for e in slow.equations]
    assert fast.steps == slow.steps
    assert [str(s) for s, _ in fast.definitions] == [str(s) for s, _ in slow.definitions]


@pytest.mark.parametrize("name", list(WORD_ERRORS))
def test_word_path_errors_match_general_rules(name, monkeypatch):
    P = WORD_ERRORS[name]
    with pytest.raises(ReductionError) as fast:
        fa.compile(P, method="rules")
    with pytest.raises(ReductionError) as slow:
        _compile_general(P, monkeypatch)
    assert str(fast.value) == str(slow.value)


def test_word_path_is_linear_in_depth():
    """Work counted, not timed: the general rules rescan the interior at every level (the
    number of letters inspected grows like L^2), the word path touches each letter O(1) times.
    Counted through Letter.adjoint, which both paths call on every letter they compare."""
    from freealg.algebra import generators

    def count(L):
        P = jacobian(1)  # warm the generator caches
        P = fa.NCPoly.constant(1)
        for l in range(L):
            P = fa.selfadjoint(f"e{l}", fa.bernoulli(HALF)) * fa.haar_orthogonal(f"w{l}") * P
        P = P * P.H
        calls = [0]
        orig = generators.Letter.adjoint.fget

        def counted(self):
            calls[0] += 1
            return orig(self)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(generators.Letter, "adjoint", property(counted))
            fa.compile(P)
        return calls[0]

    c50, c200 = count(50), count(200)
    assert c200 < 4 * c50 * 1.2  # linear: ratio 4 (quadratic would give 16)


def test_polynomial_latex_writes_powers():
    """Runs of one letter print as powers, adjoints in parentheses (what a paper writes)."""
    assert fa.latex(x * x) == "x^{2}"
    assert fa.latex(x * x * x - 2 * x * a * a * x) == "x^{3} - 2 x a^{2} x" or \
        fa.latex(x * x * x - 2 * x * a * a * x) == "-2 x a^{2} x + x^{3}"
    assert fa.latex(u.H * u.H + u * u) in ("u^{2} + \\left(u^{*}\\right)^{2}",
                                          "\\left(u^{*}\\right)^{2} + u^{2}")
    check_latex(fa.latex(u.H * u.H * x))
