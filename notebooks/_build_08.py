"""Build notebooks/08_learning_rate_real_data.ipynb (outputs stripped): python notebooks/_build_08.py

The cells are in the format of _build.py (to be merged into its NOTEBOOKS dict).
"""
import os

import nbformat as nbf

CELLS = [
    ("md", "# The learning-rate threshold 2/λ_max on real data\n\n"
           "Deep networks at dynamical isometry have a per-sample Fisher information (NTK) "
           "`H_L` with `λ_max = L q̂`: every layer adds the same `q̂ = |x|²/N` "
           "(Hayase-Karakida, AISTATS 2021; Pennington-Schoenholz-Ganguli 2017/2018). Gradient "
           "steps `η/N` on the weights move a sample's output error by `-η H_L e`, so they "
           "overshoot as soon as `η > 2/λ_max = 2/(L q̂)`: the learning rate must shrink like "
           "`1/L`.\n\n"
           "Here: scikit-learn's bundled `digits` (8x8 images, no download), deep *linear* "
           "networks of width 64 with Haar-orthogonal weights (exactly isometric), trained by "
           "SGD (one sample per step, MSE on one-hot targets, 300 steps over 100 training "
           "images), for depths L = 1, 2, 4, 8 and a grid of learning rates, run with "
           "`fa.nn.sweep`. We record the test accuracy after training, whether the training loss "
           "ever rose above its starting value (**instability**: the overshoot), and whether "
           "it ended above it (**divergence**)."),
    ("code", "import numpy as np\nimport freealg as fa\nfrom sklearn.datasets import load_digits\n\n"
             "Xraw, labels = load_digits(return_X_y=True)\nN = Xraw.shape[1]                 # 64\n"
             "X = Xraw - Xraw.mean(0)\n"
             "X *= np.sqrt(N) / np.linalg.norm(X, axis=1, keepdims=True)   # q0 = |x|^2/N = 1\n"
             "Y = np.eye(10)[labels]\n"
             "perm = np.random.default_rng(0).permutation(len(X))\n"
             "train, test = perm[:100], perm[100:]\n"
             "DEPTHS = [1, 2, 4, 8]\n"
             "# lambda_max of the per-sample Fisher information from fa.nn (no data involved)\n"
             "lam = {L: float(fa.nn.MLP(L, 'linear', sigma_w=1, q0=1).lambda_max(15)) for L in DEPTHS}\n"
             "assert all(abs(lam[L] - L) < 1e-12 for L in DEPTHS)   # = L q0 at dynamical isometry\n"
             "lam"),
    ("code", "def haar(n, rng):\n"
             "    Q, R = np.linalg.qr(rng.standard_normal((n, n)))\n"
             "    return Q * np.sign(np.diag(R))\n\n"
             "def train_once(depth, factor, steps=300, seed=0):\n"
             "    eta = factor * 2 / lam[depth]\n"
             "    rng = np.random.default_rng(seed)\n"
             "    Ws = [haar(N, rng) for _ in range(depth)]\n"
             "    def loss(idx):\n"
             "        H = X[idx].T\n"
             "        for W in Ws:\n            H = W @ H\n"
             "        E = H[:10] - Y[idx].T          # the first 10 outputs are the class scores\n"
             "        return 0.5 * np.sum(E * E) / len(idx)\n"
             "    start = peak = loss(train)\n"
             "    for s in range(steps):\n"
             "        i = train[s % len(train)]\n"
             "        xs = [X[i]]\n"
             "        for W in Ws:\n            xs.append(W @ xs[-1])\n"
             "        d = np.zeros(N)\n        d[:10] = xs[-1][:10] - Y[i]\n"
             "        if not np.isfinite(d @ d) or d @ d > 1e8:\n"
             "            return {'acc': 0.1, 'unstable': True, 'diverged': True}\n"
             "        for l in range(depth - 1, -1, -1):   # back-propagation, step eta/N\n"
             "            g = np.outer(d, xs[l])\n"
             "            if l > 0:\n                d = Ws[l].T @ d\n"
             "            Ws[l] -= (eta / N) * g\n"
             "        peak = max(peak, loss(train))\n"
             "    end = loss(train)\n"
             "    H = X[test].T\n"
             "    for W in Ws:\n        H = W @ H\n"
             "    acc = float(np.mean(H[:10].argmax(0) == labels[test]))\n"
             "    return {'acc': acc, 'unstable': bool(peak > start),\n"
             "            'diverged': bool(not np.isfinite(end) or end > start)}\n\n"
             "FACTORS = list(2 ** (np.arange(-6, 13) / 6))     # eta / (2/lambda_max), 0.5 ... 4\n"
             "res = fa.nn.sweep(train_once, {'depth': DEPTHS, 'factor': FACTORS}, progress=False)\n"
             "res"),
    ("code", "def boundary(key, L):\n"
             "    j = DEPTHS.index(L)\n"
             "    hits = [f for f, r in zip(FACTORS, res.values[j]) if r[key]]\n"
             "    return min(hits) if hits else np.inf\n\n"
             "rows = [(L, 2 / lam[L], boundary('unstable', L), boundary('diverged', L)) for L in DEPTHS]\n"
             "for L, eta_c, fu, fd in rows:\n"
             "    print(f'L = {L}: 2/lambda_max = {eta_c:.3f}; unstable from {fu:.2f} x, '\n"
             "          f'diverged from {fd:.2f} x 2/lambda_max')\n"
             "# the overshoot starts within a factor 1.5 of 2/lambda_max at every depth\n"
             "assert all(1 / 1.5 <= fu <= 1.5 for _, _, fu, _ in rows)\n"
             "# nothing diverges below 2/lambda_max; L = 1 (linear in the weights: a quadratic\n"
             "# loss) diverges right at it\n"
             "assert all(fd > 1 / 1.5 for _, _, _, fd in rows)\n"
             "assert 1 / 1.5 <= rows[0][3] <= 1.5"),
    ("md", "The figure of the seed report: test accuracy after 300 SGD steps against the "
           "learning rate, one curve per depth, with the line `η = 2/λ_max = 2/L` of each "
           "depth (dashed). The training loss starts to overshoot at the line, at every depth. "
           "The single-layer network, whose loss is quadratic in the weights, then degrades "
           "and diverges right there. Deeper networks recover from the overshoot as the "
           "curvature drops (the *catapult* of Lewkowycz et al. 2020, arXiv:2003.02218), "
           "often reaching their best accuracy just above the line, and diverge (accuracy "
           "0.1, chance) a factor 2-4 further up; that window widens with depth. So the "
           "threshold 2/λ_max, and its 1/L scaling, marks where training stops being a "
           "plain descent; the collapse follows it at a depth-dependent multiple."),
    ("code", "# fa.plotting.Figure: a matplotlib Figure that shows itself here, without pyplot\n"
             "fig = fa.plotting.Figure(figsize=(6.5, 4), layout='constrained')\nax = fig.subplots()\n"
             "for j, L in enumerate(DEPTHS):\n"
             "    etas = [f * 2 / lam[L] for f in FACTORS]\n"
             "    line, = ax.plot(etas, [r['acc'] for r in res.values[j]], 'o-', ms=3, label=f'L = {L}')\n"
             "    ax.axvline(2 / lam[L], ls='--', color=line.get_color(), lw=1)\n"
             "ax.set_xscale('log')\nticks = [0.125, 0.25, 0.5, 1, 2, 4, 8]\n"
             "ax.set_xticks(ticks, [f'{t:g}' for t in ticks])\nax.minorticks_off()\n"
             "ax.set_xlabel('learning rate η')\n"
             "ax.set_ylabel('test accuracy after 300 SGD steps')\n"
             "ax.set_title('digits, deep linear nets at dynamical isometry; dashed: 2/λ_max = 2/L')\n"
             "ax.legend()\nfig"),
]


def main(path):
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
                for kind, src in CELLS]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"08-{i:02d}"
    nbf.write(nb, path)


if __name__ == "__main__":
    main(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "08_learning_rate_real_data.ipynb"))
