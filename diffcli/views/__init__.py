"""Ways to look at how a derivative is computed: traces, graph pictures, formulas, series.

`naming` and `rule_text` write graph nodes and derivative rules as text; `trace` is the
Wengert list with tangents or adjoints; `draw` the computation graph (tree, DOT,
Mermaid); `formula` the SymPy derivative beside the AD graph's size; `taylor` Taylor
coefficients by repeated forward mode; `sweep` finite-difference error against the
step; `plots` the lesson's pictures (matplotlib). Built on `diffcli.ad` and `diffcli.checks`.
"""
