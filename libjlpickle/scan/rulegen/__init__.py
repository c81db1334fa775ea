"""Helpers of libjlpickle/scan/gen_rules.py: the module walk, the call-flow analysis,
the reviewed seeds and the safe-list harvest. See gen_rules.py for the whole story."""
