"""Residual MLPs: x^l = x^{l-1} + alpha phi(W_l x^{l-1} + b_l).

The Jacobian is J = prod_l (I + alpha D_l W_l). I + alpha D W is not a free product of its
parts, so ``J J^T`` is compiled by the linearization (an operator-valued subordination). In
the mean-field limit the pre-activation h^l is N(0, q_l) with q_l = sigma_w^2 qhat_{l-1} +
sigma_b^2, where qhat_l = |x^l|^2/N and the coordinate mean m_l of x^l follow
(h^l independent of the coordinates of x^{l-1}, zero mean):

    m_l = m_{l-1} + alpha E phi(h^l),
    qhat_l = qhat_{l-1} + 2 alpha m_{l-1} E phi(h^l) + alpha^2 E phi(h^l)^2,

from m_0 = 0 (a centred input) and qhat_0 = q_0.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import InvalidParameterError

__all__: list[str] = []


def parse_alpha(alpha: Any):
    """alpha >= 0 as a sympy number (floats read as the decimal they print as).

    Examples
    --------
    >>> from freealg.nn.residual import parse_alpha
    >>> parse_alpha(0.5), parse_alpha("1/3")
    (1/2, 1/3)
    """
    if isinstance(alpha, bool):
        raise InvalidParameterError("residual", alpha, "alpha must be a real number >= 0")
    try:
        a = sp.Rational(repr(alpha)) if isinstance(alpha, float) else sp.sympify(alpha)
    except (TypeError, ValueError, sp.SympifyError):
        raise InvalidParameterError("residual", alpha, "alpha must be a real number >= 0"
                                    ) from None
    if not (a.is_number and a.is_real and a >= 0):
        raise InvalidParameterError("residual", alpha, "alpha must be a real number >= 0")
    return a


def residual_q(mean_field, q0, depth: int, alpha) -> list:
    """[q_1, ..., q_L] of the residual network (module docstring)."""
    mf = mean_field
    sw2, sb2 = mf.sigma_w_**2, mf.sigma_b_**2
    qh, m = sp.sympify(q0), sp.S.Zero
    out = []
    for _ in range(depth):
        q = sw2 * qh + sb2
        out.append(q)
        e1 = _mean_phi(mf, q)
        e2 = mf.qhat(q)
        qh = qh + 2 * alpha * m * e1 + alpha**2 * e2
        m = m + alpha * e1
    return out


def _mean_phi(mf, q):
    """E phi(h), h ~ N(0, q): exact for odd phi (0) and ReLU (sqrt(q/(2 pi)))."""
    from .activations import H

    phi = mf.phi
    if phi == H or _odd(phi):
        return sp.S.Zero
    if phi == sp.Max(H, 0):
        return sp.sqrt(q / (2 * sp.pi))
    return sp.Float(mf._gauss(mf._fnp, q), 15)


def _odd(phi) -> bool:
    """phi(-h) = -phi(h): exactly (sympy), or else at 40 points of the real line to 1e-14
    (piecewise forms such as hard tanh do not simplify)."""
    import numpy as np

    from .activations import H, activation_numpy

    if sp.simplify(phi + phi.subs(H, -H)) == 0:
        return True
    f = activation_numpy(phi)[0]
    xs = np.linspace(0.05, 12.0, 40)
    with np.errstate(all="ignore"):
        v = np.asarray(f(xs), float) + np.asarray(f(-xs), float)
    return bool(np.all(np.abs(v) <= 1e-14 * (1 + np.abs(np.asarray(f(xs), float)))))
