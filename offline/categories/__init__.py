"""The root-cause categories, one module each: `weigh(ev)` and `why_not(ev)`.

offline/hypotheses.py weighs them against one service's evidence. Adding a category is one
module here, its entry in offline.hypotheses.REGISTRY, and its scenarios.
"""
