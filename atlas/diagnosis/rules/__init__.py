"""One rule per atlas mode, registered by mode id.

`RULES["2.2"](snapshot)` is the stage-gated finding of mode 2.2. The stage modules register
their rules when imported, below; `base` holds the registry, `signals` the readers they share.
"""

from __future__ import annotations

from atlas.diagnosis.rules import adoption, launch, pre_rollout, roles, scaling
from atlas.diagnosis.rules.base import LIVE_FROM_DAY, RULES, Rule, live_stages, rule
from atlas.modes import MODES

__all__ = ["LIVE_FROM_DAY", "RULES", "Rule", "live_stages", "rule"]
_STAGE_MODULES = (pre_rollout, launch, roles, adoption, scaling)  # imported for their rules

_missing = [mode.id for mode in MODES if mode.id not in RULES]
if _missing:
    raise RuntimeError(f"modes without a rule: {', '.join(_missing)}")
# Atlas order, whatever order the stage modules registered in.
_ordered = {mode.id: RULES[mode.id] for mode in MODES}
RULES.clear()
RULES.update(_ordered)
