"""xltargets: budget performance-target forms (预算绩效目标表) as locked Excel templates and
checked JSON.

The flow, one direction: spec → layout → (generate | read) → values → checks → outputs.
"""

__version__ = "0.1.0"
