"""How ``--fast``'s rational tanh was fitted (neuromosaic.painting.vmath.TF_P / TF_Q).

tanh(x)/x ≈ P(t)/Q(t), t = x², P of degree 6 and Q of degree 3 with Q(0) = 1, over x in [0, 9]
(past 9, tanh is 1 in float32), for the least maximum relative error: Loeb's linearisation
(least squares of P − f·Q, weighted by the previous 1/Q) with Lawson's weights (multiplied by
the error each round), in t/81 for conditioning. Prints the coefficients and the error.
Usage: python benchmarks/fit_tanh_rational.py
"""

import numpy as np

M, N = 6, 3


def fit(rounds: int = 300):
    x = np.linspace(0, 9, 60001)
    t = (x / 9) ** 2
    f = np.where(x > 0, np.tanh(x) / np.where(x > 0, x, 1), 1.0)
    A = np.hstack([t[:, None] ** np.arange(M + 1), -(f[:, None] * t[:, None] ** np.arange(1, N + 1))])
    w = np.ones_like(x) / x.size
    q_prev = np.ones_like(x)
    best = (np.inf, None, None)
    for _ in range(rounds):
        s = np.sqrt(w) / (f * q_prev)
        c, *_ = np.linalg.lstsq(A * s[:, None], f * s, rcond=None)
        p, q = c[:M + 1], np.concatenate([[1.0], c[M + 1:]])
        q_prev = np.polyval(q[::-1], t)
        err = np.abs(np.polyval(p[::-1], t) / q_prev - f) / f
        if err.max() < best[0]:
            best = (err.max(), p, q)
        w = w * err ** 0.5
        w /= w.sum()
    err, p, q = best
    return err, p / 81.0 ** np.arange(M + 1), q / 81.0 ** np.arange(N + 1)


if __name__ == "__main__":
    err, p, q = fit()
    print(f"max relative error {err:.3g}")
    print("P", [float(np.float32(v)) for v in p])
    print("Q", [float(np.float32(v)) for v in q])
