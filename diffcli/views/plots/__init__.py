"""The lesson's pictures, one module per picture, drawn with matplotlib (the `plot` extra).

`files` is what every picture shares: which file types it can write, the message when
matplotlib is missing, the pyplot handle and the saving. matplotlib is imported only
inside these modules' functions, so a command that draws nothing never loads it.
"""
