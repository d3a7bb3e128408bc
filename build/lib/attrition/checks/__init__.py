"""Checks of a bank's data beyond one column's contract rule: how far its months reach.

:mod:`attrition.coverage` (below the contract, which uses it for the data's range)
decides which months the balance data covers properly; :mod:`.timeline` turns that,
and rows dated after the load date, into validation problems and warnings;
:mod:`.flat` checks flat tables. Pure pandas: the data layer.
"""
