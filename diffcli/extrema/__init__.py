"""Critical points of f on {g = 0}: the Lagrangian as one graph, Newton's method on ∇L = 0.

`problem` builds L = f − Σλᵢgᵢ and F = ∇L with the KKT matrix from AD; `solver` runs
multistart Newton, de-duplicates and classifies the points; `check` compares with
SciPy's optimisers and SymPy's exact solutions; `plot` draws the two-variable picture.
(The package is not called `lagrange` so that it never shadows the API function
`diffcli.lagrange`.) Built on `diffcli.ad` and `diffcli.checks`.
"""
