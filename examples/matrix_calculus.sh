#!/usr/bin/env bash
# The matrix-calculus identities from the slides, each computed by diffcli and checked:
# the methods must agree (--check) and the reverse-mode result must be exactly the
# closed form. Needs jq. Run from anywhere:
#     bash examples/matrix_calculus.sh
# (set DIFFCLI="python -m diffcli" to use a checkout that is not installed).
set -euo pipefail

dc() { ${DIFFCLI:-diffcli} "$@"; }

expect() {  # compare stdin with the expected JSON text
    local got
    got=$(cat)
    if [ "$got" != "$1" ]; then
        echo "  FAILED: expected $1, got $got" >&2
        exit 1
    fi
    echo "  $got"
}

echo "∇ mean(3(x+2)²) at x = ones(2,2) is 6(x+2)/4 = 4.5 everywhere"
dc grad "mean(3*(x+2)**2)" --at "x=[[1,1],[1,1]]" --check 1e-8 --json | jq -c .methods.reverse.grad.x \
    | expect "[[4.5,4.5],[4.5,4.5]]"

echo "∇ 2xᵀx at x = [0,1,2,3] is 4x"
dc grad "2*x.T@x" --at "x=[0,1,2,3]" --check 1e-8 --json | jq -c .methods.reverse.grad.x \
    | expect "[0,4,8,12]"

echo "∇ xᵀAx is (A+Aᵀ)x: A = [[1,2],[3,4]], x = [1,2]"
dc grad "x.T@A@x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]" --check 1e-8 --json | jq -c .methods.reverse.grad.x \
    | expect "[12,21]"

echo "∇ aᵀx is a"
dc grad "a.T@x" --at "x=[5,-1,2]" --let "a=[1,2,3]" --check 1e-8 --json | jq -c .methods.reverse.grad.x \
    | expect "[1,2,3]"

echo "∂ ln|A| / ∂A is A⁻ᵀ: A = [[2,1],[1,3]], A⁻¹ = [[0.6,-0.2],[-0.2,0.4]]"
dc grad "logdet(A)" --at "A=[[2,1],[1,3]]" --check 1e-8 --json | jq -c .methods.reverse.grad.A \
    | expect "[[0.6,-0.2],[-0.2,0.4]]"

echo "∂ Tr(AB) / ∂A is Bᵀ"
dc grad "trace(A@B)" --at "A=[[1,2],[3,4]],B=[[5,6],[7,8]]" --wrt A --check 1e-8 --json \
    | jq -c .methods.reverse.grad.A | expect "[[5,7],[6,8]]"

echo "vjp of x·1024 with cotangent [0.1, 1.0, 0.0001] is 1024·u"
dc vjp "x*1024" --at "x=[1,2,3]" --cotangent "[0.1,1.0,0.0001]" --check 1e-8 --json | jq -c .methods.reverse.vjp.x \
    | expect "[102.4,1024,0.1024]"

echo "∇² xᵀAx is A+Aᵀ (forward mode over the reverse-mode gradient)"
dc hessian "x.T@A@x" --at "x=[1,2]" --let "A=[[1,2],[3,4]]" --check 1e-6 --json \
    | jq -c '.methods["forward-over-reverse"].hessian' | expect "[[2,5],[5,8]]"

echo "The Jacobian of Ax is A, in 2 forward passes (inputs) or 3 reverse passes (outputs)"
dc jacobian "A@x" --at "x=[1,-1]" --let "A=[[1,2],[3,4],[5,6]]" --check 1e-8 --json \
    | jq -c '[.methods.reverse.jacobian, .methods.forward.passes, .methods.reverse.passes]' \
    | expect "[[[1,2],[3,4],[5,6]],2,3]"
