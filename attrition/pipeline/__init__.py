"""The composition root: joins the data layer, the features and the survival models.

``datasets`` builds honest training and test sets, ``evaluate`` computes holdout
metrics, ``train`` runs a config end to end and registers the model. Scoring,
explanations and contact plans join here in later issues.
"""
