"""Independent ways to compute a derivative, and the comparison between them.

`methods` is the table of methods (forward and reverse AD, central differences, SymPy,
the complex step), one row each; `compare` runs the rows asked for on any kind of
result (gradient, J·v, uᵀJ, Jacobian, Hessian) and scores them against a reference.
Behind the rows: `numeric` (finite differences, honest about their error), `symbolic`
(the graph turned into SymPy, time-limited), `complex_step` (Im f(x + ih)/h where the
formula is analytic), and `diagnose` (kinks, infinite or undefined derivatives).
Built on `diffcli.ad` only.
"""
