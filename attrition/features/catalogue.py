"""The feature catalogue: what each feature means, in English and Chinese.

Explanations, reports and the API read feature wording from here (never hard-coded).
The catalogue is built from the shipped specs, so a feature cannot exist without its
entry.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from types import MappingProxyType

import pandas as pd

from attrition.errors import ConfigError
from attrition.features.specs import ENTITIES, Lever, PopulationSpec, default_spec, spec_text

_NO_DATA = {"en": "no data", "zh": "无数据"}


@dataclass(frozen=True)
class FeatureInfo:
    """Catalogue entry of one feature.

    Attributes
    ----------
    name, entity : str
        Feature name and its population (``client`` or ``rm``).
    unit : str
        ``ratio``, ``months``, ``days``, ``years``, ``hours``, ``count``,
        ``currency``, ``score``, ``flag`` or ``category``.
    group : str
        Feature group (source family): ``balances``, ``transactions``, ``payday``,
        ``holdings``, ``maturities``, ``nav``, ``contacts``, ``rm``,
        ``reassignment``, ``profile``, ``book``, ``peers``, ``hr``.
    label_en, label_zh : str
        Plain-language names.
    risk_direction : {"up", "down", "none"}
        ``up``: higher values mean more risk; ``down``: lower values do.
    template_en, template_zh : str
        ``str.format`` templates with a ``{value}`` field.
    actionable : Lever or None
        How a manager's action can move the feature (what-if questions), or None.
    """

    name: str
    entity: str
    unit: str
    group: str
    label_en: str
    label_zh: str
    risk_direction: str
    template_en: str
    template_zh: str
    actionable: Lever | None = None

    def label(self, lang: str = "en") -> str:
        """The feature's name in ``lang`` (``"en"`` or ``"zh"``)."""
        return self.label_zh if _lang(lang) == "zh" else self.label_en

    def render(self, value: object, lang: str = "en") -> str:
        """The feature with its value, e.g. ``'AUM changed -50% over 3 months'``.

        A missing value (None/NaN) gives the label followed by "no data".
        """
        lang = _lang(lang)
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            sep = "：" if lang == "zh" else ": "
            return f"{self.label(lang)}{sep}{_NO_DATA[lang]}"
        template = self.template_zh if lang == "zh" else self.template_en
        return template.format(value=value)


def _lang(lang: str) -> str:
    if lang not in ("en", "zh"):
        raise ConfigError(f"language {lang!r} is not supported; expected 'en' or 'zh'")
    return lang


def catalogue_of(spec: PopulationSpec) -> dict[str, FeatureInfo]:
    """Catalogue entries of every feature in ``spec``, by name."""
    return {
        f.name: FeatureInfo(
            name=f.name,
            entity=spec.entity,
            unit=f.unit,
            group=f.group,
            label_en=f.label_en,
            label_zh=f.label_zh,
            risk_direction=f.risk_direction,
            template_en=f.template_en,
            template_zh=f.template_zh,
            actionable=f.actionable,
        )
        for f in spec.features
    }


CATALOGUE = MappingProxyType({e: MappingProxyType(catalogue_of(default_spec(e))) for e in ENTITIES})
"""``CATALOGUE[entity][name]`` → :class:`FeatureInfo` for the shipped specs."""

CATALOGUE_VERSION = "{}+{}".format(
    ".".join(default_spec(e).version for e in ENTITIES),
    hashlib.sha256("".join(spec_text(e) for e in ENTITIES).encode()).hexdigest()[:8],
)
"""Spec versions plus a hash of the shipped specs: changes whenever any wording does."""


def feature_info(entity: str, name: str) -> FeatureInfo:
    """Catalogue entry of feature ``name`` of ``entity``.

    Raises
    ------
    KeyError
        No such feature; the message lists the known ones.
    """
    if entity not in CATALOGUE:
        raise ConfigError(f"entity {entity!r} is not one of {list(ENTITIES)}")
    try:
        return CATALOGUE[entity][name]
    except KeyError:
        raise KeyError(
            f"no catalogue entry for {entity} feature {name!r}; known: {sorted(CATALOGUE[entity])}"
        ) from None


def feature_catalogue(
    entity: str | None = None, *, spec: PopulationSpec | None = None
) -> pd.DataFrame:
    """The catalogue as a table.

    Parameters
    ----------
    entity : {"client", "rm"}, optional
        Only this population's features (both by default).
    spec : PopulationSpec, optional
        Describe this spec instead of the shipped ones.

    Returns
    -------
    pandas.DataFrame
        One row per feature, indexed by ``(entity, name)``; columns ``unit``,
        ``group``, ``label_en``, ``label_zh``, ``risk_direction``, ``template_en``,
        ``template_zh``.
    """
    if spec is not None:
        infos = list(catalogue_of(spec).values())
    else:
        entities = ENTITIES if entity is None else (entity,)
        for e in entities:
            if e not in CATALOGUE:
                raise ConfigError(f"entity {e!r} is not one of {list(ENTITIES)}")
        infos = [info for e in entities for info in CATALOGUE[e].values()]
    df = pd.DataFrame([asdict(i) for i in infos])
    if df.empty:
        df = pd.DataFrame(columns=list(FeatureInfo.__dataclass_fields__))
    return df.set_index(["entity", "name"])
