"""Value and gradient at many points at once: ∇f traced once, run over columns in chunks.

`gradient` reads the points and checks the formula acts on each point alone;
`chunked` evaluates the traced graph chunk by chunk with a few reused buffers.
Built on `diffcli.ad` only.
"""
