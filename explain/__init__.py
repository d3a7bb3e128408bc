"""SHAP attributions for any ``survival`` model at a horizon, and ranked drivers."""
