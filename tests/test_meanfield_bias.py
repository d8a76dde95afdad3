"""A bias given as the float 0.0 is the unbiased network (sympy's Float(0) is not Integer 0)."""

import pytest

import freealg as fa


@pytest.mark.parametrize("sigma_w", [0.8, 1.5])
def test_float_zero_bias_is_exact_zero_bias(sigma_w):
    exact = fa.nn.MeanField("tanh", sigma_w=sigma_w, sigma_b=0).q_star
    flt = fa.nn.MeanField("tanh", sigma_w=sigma_w, sigma_b=0.0).q_star
    assert float(flt) == pytest.approx(float(exact), rel=1e-12, abs=0)


def test_tanh_ordered_phase_has_q_star_zero():
    # q -> sigma_w^2 E[tanh(sqrt(q) h)^2] <= sigma_w^2 q: for sigma_w < 1 and no bias the
    # variance map contracts to the fixed point 0 (Poole et al. 2016)
    assert fa.nn.MeanField("tanh", sigma_w=0.8, sigma_b=0.0).q_star == 0
