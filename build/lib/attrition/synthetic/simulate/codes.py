"""Integer codes of the simulation's records; :mod:`attrition.synthetic.tables` maps them back.

Records stay integer-coded until the very end because the month loop appends arrays
of them every month, and strings would make that slow and large.
"""

from __future__ import annotations

import numpy as np

DIRECTIONS = ("in", "out")
IN, OUT = range(2)
KINDS = ("payroll", "transfer", "purchase", "redemption", "maturity", "fee", "other")
K_PAYROLL, K_TRANSFER, K_PURCHASE, K_REDEMPTION, K_MATURITY, K_FEE = range(6)
CHANNELS = ("visit", "call", "wechat", "sms", "email", "app", "other")
CHANNEL_WEIGHTS = (0.12, 0.4, 0.3, 0.05, 0.03, 0.08, 0.02)
PT_WEALTH, PT_FUND, PT_INSURANCE = 1, 2, 3  # into contracts.PRODUCT_TYPES
N_FUNDS = 40
WEALTH_TERMS = np.array([3, 6, 12])  # months

# Sentinels in the client arrays.
NO_FUND = 10**6  # fund_start of a client without an open fund holding
NO_WEALTH = -1  # wealth_maturity of a client without a wealth product
NEVER = -999  # rm_left_month of a client whose RM never resigned
