"""A synthetic bank written in the data contract, with the true hazards kept aside.

The generator encodes the mechanisms of ``shared/DOMAIN.md`` (RM overload, RMs leaving
and their clients following, payday outflows, maturities, fund drawdowns, contact
gaps, segment and life stage, precursors that build up over months, and AUM dips
that are not outflows), each with a strength in :class:`MechanismStrengths`. Two more
knobs of :class:`GeneratorConfig` shape the bank as a whole, as real banks differ: a
regime change inside the window (:class:`Regime`: a market sell-off or a competitor's
product) and the transaction kinds the bank records (``transaction_kinds``).

>>> bank = generate_bank(2_000, seed=1)          # doctest: +SKIP
>>> bank.data["clients"].head()                   # contract tables, typed
>>> bank.truth["client_hazard"]                   # true monthly hazard of every client
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from attrition.contracts import BankData
from attrition.errors import ConfigError
from attrition.io.files import write_table_files
from attrition.io.outputs import check_owned_folder, write_owned_folder
from attrition.synthetic.config import GeneratorConfig, MechanismStrengths
from attrition.synthetic.loaded import as_loaded_at
from attrition.synthetic.regime import Regime
from attrition.synthetic.simulate import simulate
from attrition.synthetic.tables import build_tables

__all__ = [
    "GENERATE_MARKER",
    "GeneratorConfig",
    "MechanismStrengths",
    "Regime",
    "SyntheticBank",
    "as_loaded_at",
    "check_bank_folder",
    "generate_bank",
    "write_bank",
]


@dataclass
class SyntheticBank:
    """A generated bank: ``data`` holds the contract tables, ``truth`` the true hazards.

    ``truth["client_hazard"]`` has one row per client and month the client was at the
    bank: the hazard of moving most assets out in that month (a function of what the
    tables show up to the end of the previous month) and whether it happened.
    ``truth["rm_hazard"]`` is the same for RM resignation, with the involuntary-exit
    hazard beside it.
    """

    data: BankData
    truth: dict[str, pd.DataFrame]
    config: GeneratorConfig


def generate_bank(
    n_clients: int = 20_000,
    *,
    seed: int = 0,
    months: int = 36,
    config: GeneratorConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyntheticBank:
    """Generate a synthetic bank in memory.

    Parameters
    ----------
    n_clients : clients at the start of the window.
    seed : the one seed everything is drawn from; same seed, same bank.
    months : months in the window (ending at ``config.end_month``).
    config : full configuration; when given, ``n_clients``, ``seed`` and ``months`` must
        not contradict it (they are ignored in favour of ``config``).
    progress : called as ``progress(month_done, months)`` while simulating.

    Returns
    -------
    SyntheticBank
    """
    cfg = config or GeneratorConfig(n_clients=n_clients, seed=seed, months=months)
    sim = simulate(cfg, progress=progress)
    tables, truth = build_tables(sim)
    return SyntheticBank(BankData(tables, source=f"synthetic(seed={cfg.seed})"), truth, cfg)


GENERATE_MARKER = ".attrition-generate.json"
_FORMATS = ("parquet", "csv")


def check_bank_folder(out: str | os.PathLike, *, force: bool = False) -> None:
    """Refuse ``out`` before generating: it must be missing, empty, or a previous
    output of :func:`write_bank` (it holds ``.attrition-generate.json``), unless ``force``.

    Raises
    ------
    attrition.errors.OutputError
        If ``out`` is a file, or a non-empty folder this function did not write.
    """
    check_owned_folder(out, GENERATE_MARKER, force=force)


def write_bank(
    bank: SyntheticBank, out: str | os.PathLike, *, fmt: str = "parquet", force: bool = False
) -> Path:
    """Write the contract tables to ``out`` and the truth to ``out/truth/``, atomically.

    The contract tables land in ``out`` as one file per table (a source that
    ``attrition validate`` accepts); the truth folder is not a contract table and
    loaders ignore it. ``out/.attrition-generate.json`` lists what was written, so that
    a later run replaces exactly those files. A non-empty ``out`` without it is refused
    unless ``force``; files this function did not write are never deleted.
    """
    if fmt not in _FORMATS:
        raise ConfigError(f"fmt={fmt!r} is not allowed; use 'parquet' or 'csv'")

    def build(folder: Path) -> None:
        write_table_files(bank.data.tables, folder, fmt)
        truth = folder / "truth"
        truth.mkdir()
        for name, frame in bank.truth.items():
            f = frame.copy()
            f["month"] = f["month"].astype(str)
            f.to_parquet(truth / f"{name}.parquet", index=False)
        (truth / "config.json").write_text(json.dumps(asdict(bank.config), indent=2))

    info = {
        "command": "attrition generate",
        "seed": bank.config.seed,
        "n_clients": bank.config.n_clients,
        "months": bank.config.months,
        "format": fmt,
    }
    return write_owned_folder(out, build, marker=GENERATE_MARKER, info=info, force=force)
