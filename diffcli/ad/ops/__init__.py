"""The one table of ops: each op's NumPy evaluation, derivative rule and facts, declared once.

Forward mode (`forward`) and reverse mode (`reverse`) read the same row, in the manner of
HIPS/autograd's `defjvp`/`defvjp` and JAX's `deflinear2`/`defbilinear`; views, checks
and evaluation read the facts (symbol, commutativity, domain messages, …) from it too.

* `registry`: what a row holds (`Primitive`), the table `PRIMITIVES`, `register`;
* `dispatch`: `apply` and the op functions rules are written with (numbers or graph
  nodes), the chain rule's product `chain`, broadcasting plumbing, and the JVP of a
  linear op derived from the op itself;
* `kernels`: NumPy implementations NumPy lacks; `domains`: why a result is not finite;
* `scalar`: the elementwise rows; `tensor`: the structural rows.

Adding an op is adding one row to `scalar` or `tensor` (and a spelling in
`parse.FUNCTIONS`); tests/ad/test_ops_systematic.py then asks for sample points for it.

>>> from diffcli.ad.ops import PRIMITIVES
>>> PRIMITIVES["mul"].commutative, PRIMITIVES["sub"].commutative, PRIMITIVES["sin"].complex_safe
(True, False, True)
"""

from diffcli.ad.ops import scalar, tensor  # noqa: F401  (registers the rows)
from diffcli.ad.ops.dispatch import (apply, broadcast_like, chain, jvp_rule, shape_of, unbroadcast,
                                     vjp_rule)
from diffcli.ad.ops.domains import domain_message, format_number
from diffcli.ad.ops.kernels import all_finite, finite_nonzero_scalar, reuse_product
from diffcli.ad.ops.registry import MINUS_ONE, ONE, PRIMITIVES, Primitive, register

__all__ = ["MINUS_ONE", "ONE", "PRIMITIVES", "Primitive", "all_finite", "apply", "broadcast_like", "chain",
           "domain_message", "finite_nonzero_scalar", "format_number", "jvp_rule", "register", "reuse_product",
           "shape_of", "unbroadcast", "vjp_rule"]
