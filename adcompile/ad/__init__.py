"""Differentiation proper: the reverse pass and its tape, the passes on the sweeps
it makes, the forward (tangent) pass, and the rule templates both instantiate."""
