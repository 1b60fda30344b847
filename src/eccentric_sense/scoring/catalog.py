"""The criteria catalog: every coaching rule as data.

The catalog ships as ``criteria.toml`` inside this package.  :func:`load_catalog`
reads it once (cached), validates every cross-reference (sources, protocols,
exercises, rep-table columns, kinematics signals, units) and applies the
user's overrides: a TOML file with only the values to change and/or
``ID.PARAM=VALUE`` strings from ``--rule``.  Anything unknown is a
:class:`~eccentric_sense.errors.ConfigError` whose message lists what is valid.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from .. import columns
from ..constants import EXERCISES
from ..errors import ConfigError
from ..pipeline.types import Kinematics

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "PROTOCOLS",
    "LEVELS",
    "SEVERITIES",
    "UNITS",
    "Param",
    "Rule",
    "Protocol",
    "Source",
    "Catalog",
    "load_catalog",
    "parse_rule_overrides",
    "catalog_from_mapping",
    "default_catalog",
    "rules_markdown_table",
]

#: The protocol ids the command line accepts (``--protocol``); the catalog must
#: describe exactly these, because the scoring code implements them.
PROTOCOLS: tuple[str, ...] = (
    "tempo",
    "negative_only",
    "negative_emphasized",
    "negative_accentuated",
    "heavy_negatives",
    "beyond_failure",
    "forced_positive",
    "forced_negative",
    "pullup_negative",
)

#: Where a rule is evaluated.
LEVELS: tuple[str, ...] = ("rep", "set", "history", "load", "exercise")
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
#: Units a parameter may carry.
UNITS: tuple[str, ...] = (
    "s", "min", "h", "m", "m/s", "m/s^2", "g", "ratio", "fraction", "count", "kg", "workouts",
)
#: Units whose values must be whole numbers.
_INTEGER_UNITS = frozenset({"count", "workouts"})

_CATALOG_SCHEMA = 1
_KINEMATICS_SIGNALS = frozenset(f.name for f in dataclasses.fields(Kinematics))
_TABLE_COLUMNS = frozenset(columns.REP_TABLE_COLUMNS) | frozenset(columns.SET_TABLE_COLUMNS)
_RULE_KEYS = frozenset(
    {
        "level", "title", "severity", "sources", "protocols", "exercises", "checkable",
        "reason", "flag", "deduction", "columns", "signals", "counts_flags", "advice", "params",
    }
)
_SETTINGS_ID = "settings"


@dataclass(frozen=True)
class Param:
    """One overridable threshold of a rule."""

    name: str
    value: float
    unit: str
    doc: str = ""


@dataclass(frozen=True)
class Source:
    """A source document (``shared/sources/FILE``)."""

    short: str
    file: str
    title: str


@dataclass(frozen=True)
class Protocol:
    """What the lifter says they are doing (``--protocol``)."""

    id: str
    name: str
    description: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One coaching rule of the catalog.

    ``protocols`` / ``exercises`` are tuples of ids, or ``("*",)`` for all.
    """

    id: str
    level: str
    title: str
    severity: str
    sources: tuple[str, ...]
    protocols: tuple[str, ...]
    exercises: tuple[str, ...]
    checkable: bool
    reason: str
    flag: bool
    deduction: float
    columns: tuple[str, ...]
    signals: tuple[str, ...]
    counts_flags: tuple[str, ...]
    advice: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def applies_to(self, protocol: str, exercise: str | None = None) -> bool:
        """Whether this rule is checked for ``protocol`` (and ``exercise``)."""
        if "*" not in self.protocols and protocol not in self.protocols:
            return False
        if exercise is None or "*" in self.exercises:
            return True
        return exercise in self.exercises

    def value(self, name: str) -> float:
        """The (possibly overridden) value of parameter ``name``."""
        try:
            return self.params[name].value
        except KeyError:
            raise ConfigError(_unknown_param_message(self.id, name, self.params)) from None


@dataclass(frozen=True)
class Catalog:
    """The validated criteria catalog (immutable; overrides make a new one)."""

    version: str
    sources: Mapping[str, Source]
    protocols: Mapping[str, Protocol]
    body_parts: Mapping[str, str]
    settings: Mapping[str, Param]
    rules: Mapping[str, Rule]
    overridden: tuple[str, ...] = ()  # "id.param" of every overridden value

    def rule(self, rule_id: str) -> Rule:
        """The rule ``rule_id``; ConfigError listing the valid ids otherwise."""
        try:
            return self.rules[rule_id]
        except KeyError:
            raise ConfigError(
                f"unknown rule {rule_id!r}; valid rule ids: {', '.join(self.rules)}"
            ) from None

    def value(self, rule_id: str, name: str) -> float:
        """Shorthand for ``catalog.rule(rule_id).value(name)``."""
        return self.rule(rule_id).value(name)

    def setting(self, name: str) -> float:
        try:
            return self.settings[name].value
        except KeyError:
            raise ConfigError(_unknown_param_message(_SETTINGS_ID, name, self.settings)) from None

    def protocol(self, protocol_id: str) -> Protocol:
        """The protocol ``protocol_id``; ConfigError listing the valid ids otherwise."""
        try:
            return self.protocols[protocol_id]
        except KeyError:
            raise ConfigError(
                f"unknown protocol {protocol_id!r}; valid protocols: {', '.join(self.protocols)}"
            ) from None

    def body_part(self, exercise: str | None) -> str:
        """The muscle group an exercise trains (``"other"`` when unknown)."""
        if exercise is None:
            return self.body_parts.get("other", "other")
        return self.body_parts.get(exercise, self.body_parts.get("other", "other"))

    def rules_at(self, level: str) -> list[Rule]:
        """Rules of one level, in catalog order."""
        return [rule for rule in self.rules.values() if rule.level == level]

    def with_overrides(
        self,
        overrides: Mapping[str, Mapping[str, Any]] | Iterable[str] | None,
        *,
        origin: str = "--rule",
    ) -> "Catalog":
        """A copy with parameter values replaced.

        ``overrides`` is ``{"rule_id": {"param": value}}`` (``"settings"`` for
        the settings) or an iterable of ``"rule_id.param=value"`` strings.
        """
        if overrides is None:
            return self
        if not isinstance(overrides, Mapping):
            overrides = parse_rule_overrides(overrides)
        rules = dict(self.rules)
        settings = dict(self.settings)
        done = list(self.overridden)
        for rule_id, values in overrides.items():
            if rule_id == _SETTINGS_ID:
                settings = _replace_params(_SETTINGS_ID, settings, values, origin)
            else:
                rule = self.rules.get(rule_id)
                if rule is None:
                    raise ConfigError(
                        f"{origin}: unknown rule {rule_id!r}; valid rule ids: "
                        f"{', '.join(self.rules)}, or 'settings'"
                    )
                params = _replace_params(rule_id, dict(rule.params), values, origin)
                rules[rule_id] = dataclasses.replace(rule, params=MappingProxyType(params))
            done.extend(f"{rule_id}.{name}" for name in values)
        return dataclasses.replace(
            self,
            rules=MappingProxyType(rules),
            settings=MappingProxyType(settings),
            overridden=tuple(dict.fromkeys(done)),
        )


def _unknown_param_message(owner: str, name: str, params: Mapping[str, Param]) -> str:
    valid = ", ".join(params) if params else "(none: this rule has no thresholds)"
    return f"{owner!r} has no parameter {name!r}; its parameters: {valid}"


def _checked_value(owner: str, param: Param, value: Any, origin: str) -> float:
    """Validate an override value against the parameter's unit."""
    where = f"{origin}: {owner}.{param.name}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} must be a number ({param.unit}), got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ConfigError(f"{where} must be a finite number >= 0 ({param.unit}), got {value!r}")
    if param.unit in _INTEGER_UNITS and number != int(number):
        raise ConfigError(f"{where} must be a whole number ({param.unit}), got {value!r}")
    if param.unit == "fraction" and number > 1:
        raise ConfigError(f"{where} is a fraction and must be between 0 and 1, got {value!r}")
    return number


def _replace_params(
    owner: str, params: dict[str, Param], values: Mapping[str, Any], origin: str
) -> dict[str, Param]:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{origin}: {owner} must be a table of parameter = value, got {values!r}")
    for name, value in values.items():
        if name not in params:
            raise ConfigError(f"{origin}: " + _unknown_param_message(owner, name, params))
        if isinstance(value, Mapping):  # the catalog's own `{ value = ... }` form
            extra = set(value) - {"value"}
            if extra or "value" not in value:
                raise ConfigError(
                    f"{origin}: {owner}.{name} may only set 'value' (got keys {sorted(value)})"
                )
            value = value["value"]
        params[name] = dataclasses.replace(
            params[name], value=_checked_value(owner, params[name], value, origin)
        )
    return params


def parse_rule_overrides(items: Iterable[str]) -> dict[str, dict[str, float]]:
    """Parse ``--rule`` strings ``"ID.PARAM=VALUE"`` into ``{ID: {PARAM: VALUE}}``.

    Only the syntax is checked here; :meth:`Catalog.with_overrides` checks
    that the rule and parameter exist.
    """
    parsed: dict[str, dict[str, float]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        rule_id, dot, name = key.strip().partition(".")
        if not sep or not dot or not rule_id or not name or not text.strip():
            raise ConfigError(
                f"--rule {item!r}: expected RULE.PARAM=VALUE, e.g. hard_bottom.max_decel_m_s2=4"
            )
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"--rule {item!r}: {text.strip()!r} is not a number") from None
        parsed.setdefault(rule_id, {})[name.strip()] = value
    return parsed


# --------------------------------------------------------------- validation --


def _as_str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings, got {value!r}")
    return tuple(value)


def _require(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise ConfigError(f"{where}: missing key {key!r}")
    value = table[key]
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ConfigError(f"{where}.{key} must be {kind.__name__}, got {value!r}")
    return value


def _parse_params(raw: Any, where: str) -> dict[str, Param]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}.params must be a table")
    params: dict[str, Param] = {}
    for name, spec in raw.items():
        pwhere = f"{where}.params.{name}"
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{pwhere} must be a table with value, unit and doc")
        unit = _require(spec, "unit", str, pwhere)
        if unit not in UNITS:
            raise ConfigError(f"{pwhere}: unknown unit {unit!r}; known units: {', '.join(UNITS)}")
        value = _require(spec, "value", float, pwhere)
        param = Param(name=name, value=float(value), unit=unit, doc=str(spec.get("doc", "")))
        _checked_value(where.split(".")[-1], param, value, "criteria catalog")
        params[name] = param
    return params


def catalog_from_mapping(raw: Mapping[str, Any]) -> Catalog:
    """Validate a parsed catalog document and build a :class:`Catalog`."""
    where = "criteria catalog"
    if raw.get("schema") != _CATALOG_SCHEMA:
        raise ConfigError(f"{where}: schema must be {_CATALOG_SCHEMA}, got {raw.get('schema')!r}")
    version = _require(raw, "catalog_version", str, where)

    sources = {
        short: Source(short, _require(t, "file", str, f"sources.{short}"), str(t.get("title", "")))
        for short, t in dict(raw.get("sources", {})).items()
    }
    if not sources:
        raise ConfigError(f"{where}: no [sources]")

    def check_sources(refs: tuple[str, ...], owner: str) -> None:
        for ref in refs:
            if ref not in sources:
                raise ConfigError(
                    f"{owner}: unknown source {ref!r}; known sources: {', '.join(sources)}"
                )

    protocols: dict[str, Protocol] = {}
    for pid, t in dict(raw.get("protocols", {})).items():
        refs = _as_str_tuple(t.get("sources"), f"protocols.{pid}.sources")
        check_sources(refs, f"protocols.{pid}")
        protocols[pid] = Protocol(
            pid, _require(t, "name", str, f"protocols.{pid}"), str(t.get("description", "")), refs
        )
    if set(protocols) != set(PROTOCOLS):
        missing = sorted(set(PROTOCOLS) - set(protocols))
        extra = sorted(set(protocols) - set(PROTOCOLS))
        raise ConfigError(
            f"{where}: protocols must be exactly {', '.join(PROTOCOLS)} "
            f"(missing: {missing or 'none'}; unknown: {extra or 'none'})"
        )

    body_parts = {
        ex: _require(t, "body_part", str, f"exercises.{ex}")
        for ex, t in dict(raw.get("exercises", {})).items()
    }
    for ex in body_parts:
        if ex not in EXERCISES:
            raise ConfigError(f"exercises.{ex}: unknown exercise; known: {', '.join(EXERCISES)}")
    missing_ex = [ex for ex in EXERCISES if ex not in body_parts]
    if missing_ex:
        raise ConfigError(f"{where}: no body part for exercises {', '.join(missing_ex)}")

    settings = _parse_params(dict(raw.get("settings", {})).get("params"), _SETTINGS_ID)

    rules: dict[str, Rule] = {}
    raw_rules = dict(raw.get("rules", {}))
    for rid, t in raw_rules.items():
        rwhere = f"rules.{rid}"
        unknown = set(t) - _RULE_KEYS
        if unknown:
            raise ConfigError(
                f"{rwhere}: unknown keys {sorted(unknown)}; allowed: {', '.join(sorted(_RULE_KEYS))}"
            )
        level = _require(t, "level", str, rwhere)
        if level not in LEVELS:
            raise ConfigError(f"{rwhere}: unknown level {level!r}; known: {', '.join(LEVELS)}")
        severity = _require(t, "severity", str, rwhere)
        if severity not in SEVERITIES:
            raise ConfigError(
                f"{rwhere}: unknown severity {severity!r}; known: {', '.join(SEVERITIES)}"
            )
        refs = _as_str_tuple(t.get("sources"), f"{rwhere}.sources")
        if not refs:
            raise ConfigError(f"{rwhere}: every rule must name at least one source")
        check_sources(refs, rwhere)
        rule_protocols = _as_str_tuple(t.get("protocols", ["*"]), f"{rwhere}.protocols")
        for p in rule_protocols:
            if p != "*" and p not in protocols:
                raise ConfigError(
                    f"{rwhere}: unknown protocol {p!r}; known protocols: {', '.join(protocols)}"
                )
        rule_exercises = _as_str_tuple(t.get("exercises", ["*"]), f"{rwhere}.exercises")
        for ex in rule_exercises:
            if ex != "*" and ex not in EXERCISES:
                raise ConfigError(
                    f"{rwhere}: unknown exercise {ex!r}; known exercises: {', '.join(EXERCISES)}"
                )
        cols = _as_str_tuple(t.get("columns"), f"{rwhere}.columns")
        for col in cols:
            if col not in _TABLE_COLUMNS:
                raise ConfigError(
                    f"{rwhere}: column {col!r} is not a rep-table or set-table column (columns.py)"
                )
        signals = _as_str_tuple(t.get("signals"), f"{rwhere}.signals")
        for sig in signals:
            if sig not in _KINEMATICS_SIGNALS:
                raise ConfigError(
                    f"{rwhere}: signal {sig!r} is not a Kinematics array; known: "
                    f"{', '.join(sorted(_KINEMATICS_SIGNALS))}"
                )
        checkable = _require(t, "checkable", bool, rwhere)
        reason = str(t.get("reason", ""))
        if not checkable and not reason:
            raise ConfigError(f"{rwhere}: checkable = false needs a reason")
        deduction = float(t.get("deduction", 0))
        if level == "rep" and not 0 < deduction <= 100:
            raise ConfigError(f"{rwhere}: a rep rule needs a deduction between 0 and 100")
        rules[rid] = Rule(
            id=rid,
            level=level,
            title=_require(t, "title", str, rwhere),
            severity=severity,
            sources=refs,
            protocols=rule_protocols,
            exercises=rule_exercises,
            checkable=checkable,
            reason=reason,
            flag=_require(t, "flag", bool, rwhere),
            deduction=deduction,
            columns=cols,
            signals=signals,
            counts_flags=_as_str_tuple(t.get("counts_flags"), f"{rwhere}.counts_flags"),
            advice=_require(t, "advice", str, rwhere),
            params=MappingProxyType(_parse_params(t.get("params"), rwhere)),
        )
    for rule in rules.values():
        for ref in rule.counts_flags:
            if ref not in rules or rules[ref].level != "rep":
                raise ConfigError(f"rules.{rule.id}.counts_flags: {ref!r} is not a rep rule")
    if "ecc_too_fast" in rules:
        missing_targets = [p for p in PROTOCOLS if p not in rules["ecc_too_fast"].params]
        if missing_targets:
            raise ConfigError(
                f"rules.ecc_too_fast: no eccentric target for protocols {', '.join(missing_targets)}"
            )
    return Catalog(
        version=version,
        sources=MappingProxyType(sources),
        protocols=MappingProxyType(protocols),
        body_parts=MappingProxyType(body_parts),
        settings=MappingProxyType(settings),
        rules=MappingProxyType(rules),
    )


@functools.lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with the package (read and validated once)."""
    text = resources.files(__package__).joinpath("criteria.toml").read_text(encoding="utf-8")
    return catalog_from_mapping(tomllib.loads(text))


def _read_user_file(path: str | PathLike[str]) -> dict[str, Any]:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: criteria file not found") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read criteria file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None


def _user_file_overrides(
    document: Mapping[str, Any], origin: str
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Split a user criteria file into parameter overrides and body-part changes."""
    allowed = {"rules", "settings", "exercises", "schema", "catalog_version"}
    unknown = set(document) - allowed
    if unknown:
        raise ConfigError(
            f"{origin}: unknown top-level keys {sorted(unknown)}; a criteria file may contain "
            "[rules.ID.params], [settings.params] and [exercises.NAME] tables"
        )
    overrides: dict[str, dict[str, Any]] = {}
    for rule_id, table in dict(document.get("rules", {})).items():
        if not isinstance(table, Mapping) or set(table) - {"params"}:
            raise ConfigError(
                f"{origin}: rules.{rule_id} may only contain a params table "
                "(thresholds are the only thing you can change)"
            )
        overrides[rule_id] = dict(table.get("params", {}))
    settings = document.get("settings", {})
    if settings:
        if not isinstance(settings, Mapping) or set(settings) - {"params"}:
            raise ConfigError(f"{origin}: settings may only contain a params table")
        overrides[_SETTINGS_ID] = dict(settings.get("params", {}))
    body_parts: dict[str, str] = {}
    for ex, table in dict(document.get("exercises", {})).items():
        if ex not in EXERCISES:
            raise ConfigError(f"{origin}: unknown exercise {ex!r}; known: {', '.join(EXERCISES)}")
        if not isinstance(table, Mapping) or set(table) != {"body_part"}:
            raise ConfigError(f"{origin}: exercises.{ex} may only set body_part")
        body_parts[ex] = str(table["body_part"])
    return overrides, body_parts


def load_catalog(
    path: str | PathLike[str] | None = None,
    *,
    overrides: Mapping[str, Mapping[str, Any]] | Iterable[str] | None = None,
) -> Catalog:
    """The criteria catalog with the user's changes applied.

    Parameters
    ----------
    path
        Optional user criteria file (TOML) holding only the values to change,
        e.g. ``[rules.hard_bottom.params]`` / ``max_decel_m_s2 = 4.0``.
    overrides
        ``{"rule_id": {"param": value}}`` or ``["rule_id.param=value", ...]``
        (the ``--rule`` options); applied after the file.

    Raises
    ------
    ConfigError
        Unknown rule, parameter, exercise or key; a value of the wrong kind.
    """
    catalog = default_catalog()
    if path is not None:
        origin = str(path)
        file_overrides, body_parts = _user_file_overrides(_read_user_file(path), origin)
        catalog = catalog.with_overrides(file_overrides, origin=origin)
        if body_parts:
            catalog = dataclasses.replace(
                catalog, body_parts=MappingProxyType({**catalog.body_parts, **body_parts})
            )
    return catalog.with_overrides(overrides)


def _status(rule: Rule) -> str:
    if rule.level == "load":
        return f"implemented as `eccentric-sense plan` (not measured: {rule.reason})"
    if not rule.checkable:
        return f"shown as advice, not measured: {rule.reason}"
    if rule.level == "history":
        status = "implemented (training log)"
    elif rule.level == "set":
        status = "implemented (set of reps)"
    elif rule.signals:
        status = "implemented (from the signal)"
    else:
        status = "implemented (from the rep table)"
    return status if rule.flag else status + "; reported, not a flag"


def _param_text(param: Param) -> str:
    if param.unit == "count":
        text = f"{param.value:g}"
    elif param.unit == "ratio":
        text = f"{param.value:g}x"
    elif param.unit == "fraction":
        text = f"{param.value * 100:g} %"
    else:
        text = f"{param.value:g} {param.unit}"
    return f"{param.name} = {text}"


def rules_markdown_table(catalog: Catalog) -> str:
    """A Markdown table of every rule: level, defaults, protocols, sources, status.

    ``docs/criteria.md`` embeds this table; a test keeps the two in step.
    """
    lines = [
        "| rule | level | what | defaults | protocols | sources | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in catalog.rules.values():
        defaults = "; ".join(_param_text(p) for p in rule.params.values()) or "-"
        protocols = "all" if "*" in rule.protocols else ", ".join(rule.protocols)
        if "*" not in rule.exercises:
            protocols += f" (exercises: {', '.join(rule.exercises)})"
        status = _status(rule)
        lines.append(
            f"| `{rule.id}` | {rule.level} | {rule.title} | {defaults} | {protocols} | "
            f"{', '.join(rule.sources)} | {status} |"
        )
    return "\n".join(lines)
