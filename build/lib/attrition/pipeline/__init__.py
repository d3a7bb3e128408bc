"""The composition root: joins the data layer, the features and the survival models.

``datasets`` builds honest training and test sets (``coupling`` adds the RMs'
cross-fitted flight risk to client rows), ``evaluate`` computes holdout metrics,
``train`` runs a config end to end and registers the model; ``score`` scores a bank
(risks, tiers, value at risk) with ``drivers`` in plain words and playbook actions,
``plan`` turns scores into each RM's weekly contacts and ``branches`` into the branch
view.
"""
