"""Independent ways to compute a derivative, and the comparison between them.

`numeric` (finite differences, honest about their error), `symbolic` (the graph turned
into SymPy, time-limited), `compare` and `jacobians` (every method side by side for
gradients, J·v, uᵀJ, Jacobians and Hessians, each scored against a reference), and
`diagnose` (kinks, infinite or undefined derivatives). Built on `diffcli.ad` only.
"""
