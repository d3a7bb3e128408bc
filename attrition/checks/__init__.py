"""Checks of a bank's data beyond one column's contract rule: how far its months reach.

:mod:`.coverage` decides which months the balance data covers properly (the data's
range, and so the default as-of); :mod:`.timeline` turns that, and rows dated after the
load date, into validation problems and warnings. Pure pandas: the data layer.
"""
