"""Newton's method on F(x, λ) = 0 for a batch of starts at once.

Each row of the batch is one run: its start, its active constraints (equalities are
always active; an inequality is active at one of its bounds or not at all), its bounds.
An inactive multiplier stays 0 and its equation is dropped, so every row solves its own
equality-constrained problem while the whole batch shares one evaluation of the KKT
graph per iteration.

Per row and iteration:

* the step solves K·d = −F (by LU; least squares where K is exactly singular);
  when the line search cannot use it, a Levenberg–Marquardt step (KᵀK + μI)d = −KᵀF;
* deflation (Farrell, Birkisson & Funke 2015) steers a run away from roots already
  found: Newton on m(x)·F with m(x) = Πᵣ (ℓᵣ²/‖x − r‖² + 1) is the Newton step scaled by
  τ = 1/(1 − ∇log m · d), so a known root repels instead of attracting;
* backtracking on the merit ½m²‖F‖², trial points evaluated with K, so an accepted
  point is never evaluated twice;
* where convergence is linear (a singular K at the root: a degenerate critical point)
  the steps shrink geometrically by a ratio ρ, and the extrapolated point z + d/(1 − ρ)
  — the sum of the remaining steps — is tried: for a root of multiplicity k this is the
  multiplicity-corrected step, so such roots are reached to round-off, not left at the
  tolerance at a different distance from every start;
* convergence is judged per equation against the size of its own terms (scale-aware):
  |∂L/∂xᵢ| ≤ tol·max(|∂f/∂xᵢ|, Σₖ|λₖ ∂eₖ/∂xᵢ|, floor); a constraint is judged against its natural
  size, not its terms: |eₖ − bₖ| ≤ max(tol·max(|eₖ|, |bₖ|, natural size, floor), round-off of
  its terms) (`feasibility`) — far out, where the terms are huge, only round-off is forgiven;
* a run that ends where a constraint is decided only by cancellation (`feasibility.lost`) or
  that drifts beyond DRIFT times its start and the problem's length fails: no point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from diffcli.extrema.feasibility import lost, natural_size, rounding_bound, typical_length
from diffcli.extrema.kkt import Batch, KKTGraph
from diffcli.extrema.scaling import variable_scales

RCOND = 1e-13          # singular values below RCOND·σmax count as zero in the Newton step
SINGULAR = 1e-9        # σmin/σmax below this at a root: K is singular there (a degenerate point)
MAX_HALVINGS = 40
STALL_WINDOW = 8
STEP = 1e-4            # a converged run's next Newton step is below this share of |x| (or of its start)
NONMONOTONE = 4
# Beyond 1e8 times its start and the problem's length, a unit-size constraint keeps at most half
# of its digits (u·1e8 ≈ √u): Newton has drifted off (x + y on (x+y)² ≤ 1, x + y ≥ 1.5 runs to
# |x| ≈ 1e14, where x + y is off by 0.1). A badly scaled problem's roots at 1e6 are well inside.
DRIFT = 1e8


@dataclass
class Step:
    """One line of a run's Newton log."""

    iteration: int
    residual: float      # ‖F‖∞ before the step
    step: float          # accepted step length t (0 on the last line)
    f: float
    kind: str = "newton"  # newton | regularised | extrapolated | deflated


@dataclass
class Runs:
    """The outcome of a batch: one entry per row."""

    start: np.ndarray            # (S, n)
    z: np.ndarray                # (S, N) where each run ended
    converged: np.ndarray        # (S,) bool
    singular: np.ndarray         # (S,) K singular at the end
    iterations: np.ndarray       # (S,) int
    residual: np.ndarray         # (S,) ‖F‖∞ at the end
    feasibility: np.ndarray      # (S,) scaled constraint violation at the end
    reasons: list[str]
    logs: list[list[Step]]
    evaluations: int = 0         # batched evaluations of the graph (each covers many rows)
    point_evaluations: int = 0   # rows evaluated in all
    last: Batch | None = None


@dataclass
class Accuracy:
    """When an equation counts as solved: |Fᵢ| ≤ tol·max(size of its terms, floor).

    `floor` is the least size of a stationarity equation, `e_floor` of each constraint's
    (see `floors`); without them a purely relative test could never pass where every
    term vanishes at the root (∇f = 0 at a degenerate minimum, the cusp y² = x³ at 0).
    """

    tol: float
    floor: float = 0.0
    e_floor: np.ndarray | float = 0.0
    length: float = 1.0        # the problem's length: the typical size of a start

    def looser(self, factor: float) -> "Accuracy":
        return Accuracy(self.tol * factor, self.floor, self.e_floor, self.length)


@dataclass
class System:
    """What the rows solve: the KKT graph at bounds B (S, m), multipliers active where `active` (S, m).

    `mu0` weighs f (0: the search for irregular points, where the λ must also have unit
    norm — an extra equation, handled by least squares). `roots` per row: x's to deflate.
    """

    kkt: KKTGraph
    bounds: np.ndarray
    active: np.ndarray
    mu0: float = 1.0
    roots: list[np.ndarray] | None = None
    lengths: list[np.ndarray] | None = None   # deflation radius ℓ per root
    accuracy: Accuracy = field(default_factory=lambda: Accuracy(1e-10))
    linear: tuple[np.ndarray, np.ndarray] | None = None   # extra equations C·x = d, C (S, p, n), d (S, p)
    evaluations: int = 0
    point_evaluations: int = 0

    def evaluate(self, Z: np.ndarray, rows: np.ndarray) -> Batch:
        self.evaluations += 1
        self.point_evaluations += len(rows)
        n, m = self.kkt.n, self.kkt.m
        batch = self.kkt.evaluate(Z[:, :n + m], self.bounds[rows, :m], self.mu0)
        if self.linear is not None:
            batch = _with_linear(batch, Z, self.linear[0][rows], self.linear[1][rows], n, m)
        inactive = ~self.active[rows]
        if inactive.any():
            # Inactive multipliers: their equation is λ = 0 (F = 0 there, K = identity).
            lam = batch.F[:, n:]
            lam[inactive] = 0.0
            s, k = np.nonzero(inactive)
            batch.K[s, n + k, :] = 0.0
            batch.K[s, :, n + k] = 0.0
            batch.K[s, n + k, n + k] = 1.0
        return batch

    def residual(self, batch: Batch, Z: np.ndarray) -> np.ndarray:
        """F, with the unit-norm equation of the irregular search appended when mu0 = 0."""
        if self.mu0:
            return batch.F
        lam = Z[:, self.kkt.n:]
        return np.concatenate([batch.F, 0.5 * (np.sum(lam * lam, axis=1, keepdims=True) - 1.0)], axis=1)

    def jacobian(self, batch: Batch, Z: np.ndarray) -> np.ndarray:
        if self.mu0:
            return batch.K
        n = self.kkt.n
        row = np.concatenate([np.zeros((len(Z), n)), Z[:, n:]], axis=1)[:, None, :]
        return np.concatenate([batch.K, row], axis=1)

    def scales(self, batch: Batch, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per-equation size of the terms (the convergence test is |Fᵢ| ≤ tol·scaleᵢ)."""
        n = self.kkt.n
        x, lam = Z[:, :n], Z[:, n:]
        forces = np.einsum("smn,sm->sn", np.abs(batch.jacobian), np.abs(lam))
        # |∇²ₓL|·|x| stands for the size of the terms of ∂L/∂xᵢ that cancel at a root (2x + y/4 = 0
        # is solved to round-off of 2|x| + |y|/4, not of 0).
        terms = np.einsum("sij,sj->si", np.abs(batch.K[:, :n, :n]), np.abs(x))
        stationarity = np.maximum(np.maximum(np.abs(batch.gradient) * self.mu0, np.maximum(forces, terms)),
                                  self.accuracy.floor)
        sizes = np.einsum("smn,sn->sm", np.abs(batch.jacobian), np.abs(x))
        feasibility = np.maximum(np.maximum(np.abs(batch.e), np.abs(self.bounds[rows])), sizes)
        floor = np.zeros(feasibility.shape[1])
        floor[:np.size(self.accuracy.e_floor)] = self.accuracy.e_floor
        scale = np.concatenate([stationarity, np.maximum(feasibility, np.maximum(floor, 1e-300))], axis=1)
        scale[:, n:][~self.active[rows]] = 1.0
        if not self.mu0:  # the unit-norm equation of the irregular search
            scale = np.concatenate([scale, np.ones((len(Z), 1))], axis=1)
        return scale

    def allowed(self, batch: Batch, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per equation, the largest |Fᵢ| that counts as solved: tol times the size of its terms for
        ∂L/∂x; for an active constraint tol times its natural size, or its round-off if larger."""
        n = self.kkt.n
        allowed = self.accuracy.tol * self.scales(batch, Z, rows)
        with np.errstate(all="ignore"):
            x, bounds = Z[:, :n], self.bounds[rows]
            floor = np.zeros(bounds.shape[1])
            floor[:np.size(self.accuracy.e_floor)] = self.accuracy.e_floor
            natural = np.maximum(np.maximum(np.abs(batch.e), natural_size(bounds, batch.jacobian, self.accuracy.length)),
                                 np.maximum(floor, 1e-300))
            constraint = np.maximum(self.accuracy.tol * natural, rounding_bound(batch.jacobian, x))
        end = n + bounds.shape[1]
        allowed[:, n:end] = np.where(self.active[rows], constraint, allowed[:, n:end])
        return allowed

    def converged(self, batch: Batch, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Every equation within its allowance (`allowed`)."""
        F = self.residual(batch, Z)
        return np.all(np.abs(F) <= self.allowed(batch, Z, rows), axis=1)

    def lost(self, batch: Batch, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Rows where an active constraint is decided only by cancellation (`feasibility.lost`)."""
        n = self.kkt.n
        bounds = np.where(self.active[rows], self.bounds[rows], np.inf)
        return lost(bounds, batch.jacobian * self.active[rows][:, :, None], Z[:, :n], self.accuracy.length)

    def weigh(self, batch: Batch, Z: np.ndarray) -> None:
        """Fix each row's equation weights: 1/(size of the terms) at its start.

        The merit ½‖W·F‖² then counts every equation alike, whatever its units: a
        constraint 1e6·x² + 1e-6·y² = 1 or a gradient of size 1e6 does not drown the rest.
        """
        scale = self.scales(batch, Z, np.arange(len(Z)))
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, np.inf)
        top = np.where(np.isfinite(scale), scale, 0.0).max(axis=1, keepdims=True)
        top = np.where(top > 0, top, 1.0)
        scale = np.clip(scale, 1e-100 * top, top)    # weights within 1e100 of each other, the largest 1
        self.weights = top / scale

    def weighted(self, batch: Batch, Z: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """W·F and W·J for the rows."""
        w = self.weights[rows]
        return self.residual(batch, Z) * w, self.jacobian(batch, Z) * w[:, :, None]

    def deflation(self, Z: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """m(x) (S,) and ∇log m (S, n) for the rows (1 and 0 where nothing is deflated)."""
        n = self.kkt.n
        if self.roots is None:
            return np.ones(len(rows)), np.zeros((len(rows), n))
        if not hasattr(self, "_padded"):
            # Roots of every row in one (S, R, n) array; padding has radius 0 (a factor of 1).
            count = max((len(r) for r in self.roots), default=0)
            padded = np.zeros((len(self.roots), count, n))
            radii = np.zeros((len(self.roots), count))
            for k, (r, ell) in enumerate(zip(self.roots, self.lengths or [])):
                padded[k, :len(r)] = r
                radii[k, :len(r)] = ell
            self._padded, self._radii = padded, radii
        diff = Z[:, None, :n] - self._padded[rows]
        dist2 = np.maximum(np.sum(diff * diff, axis=2), 1e-300)
        ratio = self._radii[rows] ** 2 / dist2
        terms = ratio + 1.0
        factor = np.prod(terms, axis=1)
        grad = np.einsum("sr,srn->sn", -2.0 * ratio / dist2 / terms, diff)
        return factor, grad


def _singular_values(J: np.ndarray) -> np.ndarray:
    """σ of each matrix of the stack (values only: the full SVD is far slower in LAPACK)."""
    return np.linalg.svd(J, compute_uv=False)


def _directions(J: np.ndarray, F: np.ndarray, sigma: np.ndarray, regularise: bool) -> np.ndarray:
    """Newton steps J·d = −F (least squares for the overdetermined irregular search), or
    Levenberg–Marquardt steps (JᵀJ + μI)d = −JᵀF where Newton's cannot be used.

    Solved by LU (np.linalg.solve): a stack of full SVDs costs a hundred times more.
    """
    S, rows, columns = J.shape
    if regularise or rows != columns:
        # Columns scaled to unit length first, so the damping μ does not swamp an unknown whose
        # column is tiny (exp(x) far out): the step is then invariant to the units of each unknown.
        norms = np.sqrt(np.einsum("sij,sij->sj", J, J))
        norms = np.where(norms > 0, norms, 1.0)
        scaled = J / norms[:, None, :]
        normal = np.einsum("sij,sik->sjk", scaled, scaled)
        mu = (1e-10 + 1e-3 * np.sum(F * F, axis=1) / np.maximum(np.sum(sigma ** 2, axis=1) / columns, 1e-300)
              if regularise else np.full(S, 1e-14))
        normal = normal + mu[:, None, None] * np.eye(columns)
        return -_solve(normal, np.einsum("sij,si->sj", scaled, F)) / norms
    return -_solve(J, F)


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A⁻¹b for a stack; a singular matrix gets a least-squares (pseudo-inverse) solution."""
    try:
        with np.errstate(all="ignore"):
            return np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        result = np.empty_like(b)
        for k in range(len(A)):
            try:
                result[k] = np.linalg.solve(A[k], b[k])
            except np.linalg.LinAlgError:
                result[k] = np.linalg.lstsq(A[k], b[k], rcond=RCOND)[0]
        return result


LENGTHS = 0.5 ** np.arange(12)         # trial step lengths, all evaluated in one batch where that is cheap
RETRY_LENGTHS = 0.5 ** np.arange(12, 24)


def newton(system: System, Z0: np.ndarray, *, max_iter: int, log: bool = True,
           polish: int = 30) -> Runs:
    """Run every row of Z0 = (x₀, λ₀) to a root of F (or to a stop with a reason)."""
    S, N = Z0.shape
    n = system.kkt.n
    everything = np.arange(S)
    Z = Z0.copy()
    batch = system.evaluate(Z, everything)
    runs = Runs(start=Z0[:, :n].copy(), z=Z, converged=np.zeros(S, bool), singular=np.zeros(S, bool),
                iterations=np.zeros(S, int), residual=np.full(S, math.inf), feasibility=np.full(S, math.inf),
                reasons=[""] * S, logs=[[] for _ in range(S)])
    running = batch.defined.copy()
    system.weigh(batch, Z)
    for s in np.nonzero(~running)[0]:
        runs.reasons[s] = "f or g is not finite at the start (outside the domain, or overflow)"
    previous = np.zeros((S, N))          # the last accepted full step, for the extrapolation
    polishing = np.zeros(S, int)         # steps taken after convergence
    merits: list[list[float]] = [[] for _ in range(S)]
    size0 = np.maximum(np.abs(Z0[:, :n]).max(axis=1, initial=0.0), 1.0)
    reach = DRIFT * np.maximum(size0, system.accuracy.length)
    for iteration in range(max_iter + polish + 1):
        rows = np.nonzero(running)[0]
        if not len(rows):
            break
        sub = _take(batch, rows)
        F, J = system.weighted(sub, Z[rows], rows)
        sigma = _singular_values(J)
        singular = sigma[:, -1] <= SINGULAR * np.maximum(sigma[:, 0], 1e-300)
        step = _directions(J, F, sigma, False)
        # Converged: every equation solved to the tolerance, and Newton's next step small
        # against x — where ∇f only fades away (exp(-x²) far out) the steps do not shrink.
        small = np.abs(step[:, :n]).max(axis=1, initial=0.0) <= STEP * np.maximum(
            np.abs(Z[rows, :n]).max(axis=1, initial=0.0), size0[rows])
        converged = system.converged(sub, Z[rows], rows) & (small | (polishing[rows] > 0))
        norm = np.abs(system.residual(sub, Z[rows])).max(axis=1)
        counting = polishing[rows] == 0          # the polish after convergence does not count
        runs.iterations[rows[counting]] = min(iteration, max_iter)
        # After convergence, Newton goes on while each step at least halves ‖F‖²: one step
        # takes a regular root to round-off, a singular one (linear convergence, sped up
        # by extrapolation) gets up to `polish` steps — so no root is left at the tolerance.
        done = converged & (polishing[rows] >= polish)
        over = ~converged & (iteration >= max_iter)
        diverged = ~(np.abs(Z[rows, :n]).max(axis=1) <= reach[rows])
        done &= ~diverged
        for k in np.nonzero(done | over | diverged)[0]:
            s = rows[k]
            runs.converged[s] = bool(done[k])
            runs.singular[s] = bool(singular[k]) or polishing[s] > 3
            if over[k]:
                runs.reasons[s] = f"no convergence in {max_iter} iterations"
            elif diverged[k]:
                runs.reasons[s] = (f"diverged: |x| grew beyond {DRIFT:.0e} times the start and the problem's "
                                   "length, where round-off decides the constraints")
            if log:
                runs.logs[s].append(Step(int(runs.iterations[s]), float(norm[k]), 0.0, float(batch.f[s])))
        running[rows[done | over | diverged]] = False
        keep = ~(done | over | diverged)
        rows, F, norm, converged = rows[keep], F[keep], norm[keep], converged[keep]
        J, sigma, step = J[keep], sigma[keep], step[keep]
        if not len(rows):
            continue
        polishing[rows[converged]] += 1
        f_before = batch.f[rows].copy()
        factor_now, _ = system.deflation(Z[rows], rows)
        merit_now = 0.5 * factor_now ** 2 * np.sum(F * F, axis=1)
        moved = np.zeros(len(rows), bool)
        kinds = np.array(["newton"] * len(rows), dtype=object)
        lengths = np.zeros(len(rows))
        steps = np.zeros((len(rows), N))
        before_Z = Z[rows].copy()
        before = _take(batch, rows)
        for regularise in (False, True):
            # The regularised step for rows Newton could not move — and for rows where it
            # moved only a sliver (the merit is badly modelled there): the better one is kept.
            sliver = moved & (lengths < 1e-2) & (polishing[rows] == 0)
            todo = np.nonzero(~moved | sliver)[0] if regularise else np.arange(len(rows))
            if not len(todo):
                break
            if regularise and sliver.any():
                newton_Z, newton_batch = Z[rows[todo]].copy(), _take(batch, rows[todo])
                newton_merit = _merit(system, newton_batch, newton_Z, rows[todo])
                Z[rows[todo]] = before_Z[todo]
                for name in ("f", "e", "F", "K", "gradient", "jacobian"):
                    getattr(batch, name)[rows[todo]] = getattr(before, name)[todo]
            d = _directions(J[todo], F[todo], sigma[todo], True) if regularise else step.copy()
            factor, grad = system.deflation(Z[rows[todo]], rows[todo])
            deflated = factor != 1.0
            if deflated.any():
                denominator = 1.0 - np.einsum("sn,sn->s", grad, d[:, :n])
                tau = np.where(np.abs(denominator) > 1e-8, 1.0 / np.where(denominator == 0, 1.0, denominator), 1.0)
                d[deflated] *= tau[deflated, None]
            merit = 0.5 * factor ** 2 * np.sum(F[todo] * F[todo], axis=1)
            if not regularise:
                # Non-monotone (Grippo–Lampariello–Lucidi): a Newton step may raise the merit
                # above the current one but not above the last few, so a step that makes
                # one equation worse on its way to the root is not cut to nothing.
                merit = np.array([max([m, *merits[rows[k]][-NONMONOTONE:]]) if not polishing[rows[k]] else m
                                  for k, m in zip(todo, merit)])
            ok, length, batch = _line_search(system, Z, batch, rows[todo], d, merit, polishing[rows[todo]] > 0)
            if regularise and sliver.any():
                # Keep Newton's sliver where it beats the regularised step (or that step failed).
                worse = sliver[todo] & (~ok | (_merit(system, _take(batch, rows[todo]), Z[rows[todo]], rows[todo])
                                                 >= newton_merit))
                for k in np.nonzero(worse)[0]:
                    s_row = rows[todo[k]]
                    Z[s_row] = newton_Z[k]
                    _put(batch, s_row, newton_batch, k)
                ok = ok & ~worse
            moved[todo[ok]] = True
            lengths[todo[ok]] = length[ok]
            steps[todo[ok]] = d[ok] * length[ok, None]
            kinds[todo[ok]] = np.where(deflated[ok], "deflated", "regularised" if regularise else "newton")
        if log:
            for k, s in enumerate(rows):
                if moved[k]:
                    runs.logs[s].append(Step(iteration, float(norm[k]), float(lengths[k]), float(f_before[k]),
                                             str(kinds[k])))
        # Linear convergence (a singular root): try the sum of the remaining geometric steps.
        full = moved & (lengths == 1.0) & (kinds == "newton")
        batch = _extrapolate(system, Z, batch, rows, steps, full, previous, runs.logs if log else None)
        previous[rows[~full]] = 0.0
        for k in np.nonzero(~moved)[0]:
            s = rows[k]
            if polishing[s]:
                runs.converged[s] = True     # the polish cannot improve: done
                runs.singular[s] = bool(singular[keep][k]) or polishing[s] > 3
            else:
                runs.reasons[s] = ("stalled: no step reduces ‖∇L‖ (a local minimum of ‖∇L‖ that is not a "
                                   "zero, or round-off)")
            if log:
                runs.logs[s].append(Step(iteration, float(norm[k]), 0.0, float(batch.f[s])))
        running[rows[~moved]] = False
        # Stalled without convergence: the merit has not fallen by a millionth over a few steps.
        for k in np.nonzero(moved)[0]:
            s = rows[k]
            if polishing[s]:
                continue
            h = merits[s]
            h.append(float(merit_now[k]))
            if len(h) > STALL_WINDOW and h[-1] > (1 - 1e-6) * h[-1 - STALL_WINDOW]:
                running[s] = False
                runs.reasons[s] = "stalled at a local minimum of ‖∇L‖ that is not a zero"
    # Never report a point that does not satisfy the equations (a polish gone astray, say).
    failed = runs.converged & ~(system.converged(batch, Z, everything) & batch.defined)
    for s in np.nonzero(failed)[0]:
        runs.converged[s] = False
        runs.reasons[s] = "ended where ∇L = 0 does not hold to the tolerance"
    # Nor one where the constraints carry no correct digits: that is round-off, not a root.
    for s in np.nonzero(runs.converged & system.lost(batch, Z, everything))[0]:
        runs.converged[s] = False
        runs.reasons[s] = ("lost to rounding: the constraints there are decided only by cancellation "
                           "(their terms are too large for their value to carry a correct digit)")
    runs.z = Z
    runs.last = batch
    F = system.residual(batch, Z)
    runs.residual = np.abs(F).max(axis=1)
    m = system.kkt.m
    with np.errstate(all="ignore"):
        allowed = system.allowed(batch, Z, everything) / system.accuracy.tol
        runs.feasibility = np.abs(F[:, n:n + m] / allowed[:, n:n + m]).max(axis=1, initial=0.0)
    runs.evaluations = system.evaluations
    runs.point_evaluations = system.point_evaluations
    return runs


def _merit(system: System, batch: Batch, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
    F = system.residual(batch, Z) * system.weights[rows]
    factor, _ = system.deflation(Z, rows)
    return 0.5 * factor ** 2 * np.sum(F * F, axis=1)


def _line_search(system: System, Z: np.ndarray, batch: Batch, rows: np.ndarray, d: np.ndarray,
                 merit: np.ndarray, polishing: np.ndarray) -> tuple[np.ndarray, np.ndarray, Batch]:
    """Backtracking (Armijo) on the merit for each row; accepted rows move (Z and batch in place).

    When the graph is evaluated for all rows at once, every trial length of a row is
    evaluated in one call; otherwise lengths are tried one after the other.
    """
    ok = np.zeros(len(rows), bool)
    length = np.zeros(len(rows))
    finite = np.isfinite(d).all(axis=1)
    schedules = [LENGTHS, RETRY_LENGTHS] if system.kkt.vectorized else [[t] for t in np.concatenate([LENGTHS, RETRY_LENGTHS])]
    for schedule in schedules:
        pending = np.nonzero(finite & ~ok)[0]
        if not len(pending):
            break
        T = np.asarray(schedule)
        trial = (Z[rows[pending]][:, None, :] + T[None, :, None] * d[pending][:, None, :]).reshape(-1, Z.shape[1])
        owners = np.repeat(rows[pending], len(T))
        tried = system.evaluate(trial, owners)
        new = _merit(system, tried, trial, owners).reshape(len(pending), len(T))
        # Armijo's sufficient decrease; a polishing row must halve ‖F‖² (else it is at round-off).
        needed = np.where(polishing[pending, None], 0.5, 1.0 - 1e-4 * T[None, :])
        strict = polishing[pending, None] | (merit[pending, None] == 0)
        bound = needed * merit[pending, None]
        good = tried.defined.reshape(len(pending), len(T)) & np.isfinite(new) & \
            np.where(strict, new < bound, new <= bound)
        first = np.argmax(good, axis=1)
        hit = good[np.arange(len(pending)), first]
        for k in np.nonzero(hit)[0]:
            r = pending[k]
            s = rows[r]
            pick = k * len(T) + first[k]
            ok[r] = True
            length[r] = T[first[k]]
            Z[s] = trial[pick]
            _put(batch, s, tried, pick)
    return ok, length, batch


def _put(batch: Batch, s: int, source: Batch, k: int) -> None:
    for name in ("f", "e", "F", "K", "gradient", "jacobian"):
        getattr(batch, name)[s] = getattr(source, name)[k]


def _extrapolate(system: System, Z: np.ndarray, batch: Batch, rows: np.ndarray, steps: np.ndarray,
                 full: np.ndarray, previous: np.ndarray, logs: list[list[Step]] | None) -> Batch:
    """Where full steps shrink geometrically (ratio ρ, same direction), try z + ρ/(1 − ρ)·d."""
    candidates = []
    for k in np.nonzero(full)[0]:
        s = rows[k]
        d, last = steps[k], previous[s].copy()
        previous[s] = d
        size, before = float(np.linalg.norm(d)), float(np.linalg.norm(last))
        if before == 0.0 or size == 0.0:
            continue
        rho = size / before
        if 0.2 <= rho <= 0.97 and float(d @ last) > 0.99 * size * before:
            candidates.append((s, rho / (1.0 - rho) * d))
    if not candidates:
        return batch
    owners = np.array([s for s, _ in candidates])
    trial = Z[owners] + np.array([jump for _, jump in candidates])
    tried = system.evaluate(trial, owners)
    now = _merit(system, _take(batch, owners), Z[owners], owners)
    new = _merit(system, tried, trial, owners)
    for k, s in enumerate(owners):
        if tried.defined[k] and np.isfinite(new[k]) and new[k] < now[k]:
            Z[s] = trial[k]
            _put(batch, s, tried, k)
            previous[s] = 0.0
            if logs is not None and logs[s]:
                logs[s][-1].kind = "extrapolated"
    return batch


def _with_linear(batch: Batch, Z: np.ndarray, C: np.ndarray, d: np.ndarray, n: int, m: int) -> Batch:
    """The KKT system with the extra equations C·x = d and their multipliers μ (Z's last p entries):
    F gains −Cᵀμ in its x block and the rows −(Cx − d); K gains the border −C."""
    S, p = d.shape
    N = n + m
    x, mu = Z[:, :n], Z[:, N:]
    F = np.concatenate([batch.F[:, :n] - np.einsum("spn,sp->sn", C, mu), batch.F[:, n:],
                        -(np.einsum("spn,sn->sp", C, x) - d)], axis=1)
    K = np.zeros((S, N + p, N + p))
    K[:, :N, :N] = batch.K
    K[:, N:, :n] = -C
    K[:, :n, N:] = -np.transpose(C, (0, 2, 1))
    e = np.concatenate([batch.e, np.einsum("spn,sn->sp", C, x)], axis=1)
    return Batch(batch.f, e, F, K, batch.gradient, np.concatenate([batch.jacobian, C], axis=1))


def _take(batch: Batch, rows: np.ndarray) -> Batch:
    return Batch(batch.f[rows], batch.e[rows], batch.F[rows], batch.K[rows], batch.gradient[rows],
                 batch.jacobian[rows])


def initial_multipliers(batch: Batch, active: np.ndarray, scales: np.ndarray | None = None) -> np.ndarray:
    """λ minimising ‖D(∇f − J_Aᵀλ)‖ at each row (least squares over the active constraints), 0 elsewhere.

    D = diag(`scales`), each variable's length (`scaling`): the residual measured in units
    where the constraint set is round, so a steep constraint (1e6·x² + 1e-6·y² = 1) does not
    decide λ by its largest component alone.
    """
    D = np.ones_like(batch.gradient) if scales is None else scales
    J = batch.jacobian * active[:, :, None] * D[:, None, :]
    pinv = np.linalg.pinv(np.transpose(J, (0, 2, 1)), rcond=1e-12)
    lam = np.einsum("smn,sn->sm", pinv, batch.gradient * D)
    lam[~np.isfinite(lam).all(axis=1)] = 0.0
    return np.where(active, lam, 0.0)


FLOOR = 1e-8   # stationarity and feasibility are judged against at least this share of their typical size


def accuracy_at(kkt: KKTGraph, X: np.ndarray, bounds: np.ndarray, tol: float, mu0: float = 1.0) -> Accuracy:
    """`tol` with floors from the typical sizes at the starts X, times FLOOR: of |∇f|
    (of |∇e| when mu0 = 0, the irregular-point search) and of each |e − b|."""
    with np.errstate(all="ignore"):
        batch = kkt.evaluate(np.concatenate([X, np.zeros((len(X), kkt.m))], axis=1), bounds)
        # The 90th percentile: starts far out where f has faded (exp(-x²)) do not set the scale.
        gradient = np.abs(batch.gradient).max(axis=1, initial=0.0)
        slopes = np.abs(batch.jacobian).max(axis=(1, 2), initial=0.0)
        gradient = gradient[np.isfinite(gradient) & (gradient > 0)]
        # With ∇f ≡ 0 (a constant f) or in the irregular search, the forces Σλ∇e set the size.
        sizes = gradient if mu0 and gradient.size else slopes[np.isfinite(slopes) & (slopes > 0)]
        # A constraint's typical size: |∂e/∂x|·|x| at the starts (a constraint y = 0 met by
        # every start still has size |∂e/∂y|·(typical |x|)).
        length = typical_length(X)
        slope = np.abs(batch.jacobian).sum(axis=2)
        size = np.abs(batch.e - bounds) + slope * length
        size = np.where(np.isfinite(size), size, np.nan)
        typical = (np.nan_to_num(np.nanmedian(size, axis=0), nan=0.0) if len(size) and kkt.m
                   else np.zeros(kkt.m))
    return Accuracy(tol, FLOOR * float(np.percentile(sizes, 90)) if sizes.size else 0.0, FLOOR * typical, length)


def solve_rows(kkt: KKTGraph, X: np.ndarray, bounds: np.ndarray, active: np.ndarray, *, accuracy: Accuracy,
               max_iter: int, multipliers: np.ndarray | None = None, mu0: float = 1.0,
               roots: list[np.ndarray] | None = None, lengths: list[np.ndarray] | None = None,
               linear: tuple[np.ndarray, np.ndarray] | None = None, log: bool = True, polish: int = 30) -> Runs:
    """Newton from each row of X with the given active constraints; λ₀ by least squares unless given.

    With `linear` = (C, d) the rows also satisfy C·x = d (extra multipliers start at 0).
    """
    S, n = X.shape
    m = kkt.m
    p = 0 if linear is None else linear[1].shape[1]
    all_active = np.concatenate([active, np.ones((S, p), bool)], axis=1)
    all_bounds = bounds if linear is None else np.concatenate([bounds, linear[1]], axis=1)
    system = System(kkt, all_bounds, all_active, mu0=mu0, roots=roots, lengths=lengths, accuracy=accuracy,
                    linear=linear)
    Z = np.concatenate([X, np.zeros((S, m + p))], axis=1)
    if multipliers is not None:
        Z[:, n:n + m] = np.where(active, multipliers, 0.0)
    elif m and mu0:
        batch = system.evaluate(Z, np.arange(S))
        constraints = _take_constraints(batch, m)
        scales = variable_scales(kkt, X, bounds, active, batch=constraints)
        Z[:, n:n + m] = initial_multipliers(constraints, active, scales)
    elif m:
        # The irregular-point search: any unit λ on the active constraints to start from.
        Z[:, n:n + m] = np.where(active, 1.0, 0.0) / np.sqrt(np.maximum(active.sum(axis=1, keepdims=True), 1))
    return newton(system, Z, max_iter=max_iter, log=log, polish=polish)


def _take_constraints(batch: Batch, m: int) -> Batch:
    return Batch(batch.f, batch.e[:, :m], batch.F, batch.K, batch.gradient, batch.jacobian[:, :m])
