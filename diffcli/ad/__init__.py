"""The AD core: formula text → graph, the op table, evaluation, and the two sweeps.

`parse` turns text into a hash-consed `graph.Graph`; `ops` is the one table
of ops (each op's NumPy evaluation, derivative rule and facts); `evaluate` runs a graph at a
point; `forward` (tangents, JVP) and `reverse` (adjoints, VJP) read the same table;
`tape` runs the rules on graph references so derivatives are graphs again, and
`transforms` composes the sweeps (Jacobians both ways, the Hessian as forward over
reverse). `inputs` reads values, `problem` binds a formula to a point (and checks
what commands share: one scalar output, a direction, a cotangent), `flat` holds the
small helpers on shapes: a value as diffcli holds it, zeros and unit seeds, labels,
and the order in which tensors become flat vectors.

This layer imports nothing from the rest of diffcli except `diffcli.errors`, never
prints, and never imports Typer or Rich.
"""
