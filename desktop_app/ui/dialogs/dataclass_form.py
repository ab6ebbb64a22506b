"""A settings form built from a frozen config dataclass (``RiskLimits``, ``RebalanceConfig``).

The engine owns the fields; the GUI only introspects them with ``dataclasses.fields``, so
a limit added to ``RiskLimits`` appears in Settings without touching the UI. For each
field the widget follows the value's type: a check box for ``bool``, a spin box for ``int``
and ``float``/``Decimal`` numbers, a combo box for an ``Enum``, a line edit for text;
``Optional`` numbers get an "on" check box; a mapping of names to numbers (a risk budget
per strategy) is typed as ``momentum: 40, breakout: 30``. Anything else (nested records) is
left to the engine's defaults and not shown.

Labels, units and ranges come from the field's ``metadata`` when the engine supplies them
(``label``, ``unit``, ``help``, ``min``, ``max``, ``decimals``), otherwise from the name:
``max_drawdown_pct`` → "Max drawdown" in %, ``*_bps`` in bps, ``*_hours`` in h, etc.
Building the new instance goes through ``dataclasses.replace``, so the dataclass's own
validation (``__post_init__``) decides what is valid and its message is shown inline.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from desktop_app.portfolio import ConfigError
from desktop_app.ui.format import humanize

from .common import compact_spin, hrow

#: Name suffix → (unit shown, decimals, default maximum).
UNIT_SUFFIXES: tuple[tuple[str, str, int, float], ...] = (
    ("_pct", "%", 2, 100.0),
    ("_percent", "%", 2, 100.0),
    ("_bps", "bps", 1, 10_000.0),
    ("_hours", "h", 2, 24 * 365.0),
    ("_minutes", "min", 1, 60 * 24 * 365.0),
    ("_seconds", "s", 1, 86_400.0 * 30),
    ("_s", "s", 1, 86_400.0 * 30),
    ("_days", "d", 1, 3650.0),
    ("_ratio", "", 3, 1_000.0),
    ("_leverage", "×", 2, 100.0),
    ("leverage", "×", 2, 100.0),
)
NUMBER_MAX = 1e12


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    unit: str
    help: str
    kind: type
    optional: bool
    decimals: int
    minimum: float
    maximum: float


def _resolved_types(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # forward references the GUI cannot resolve: use runtime values
        return {}


def _kind_of(hint: Any, value: Any) -> tuple[type | None, bool]:
    """The scalar type of a field and whether None is allowed."""
    optional = value is None
    args = typing.get_args(hint)
    if args and type(None) in args:
        optional = True
        rest = [a for a in args if a is not type(None)]
        hint = rest[0] if len(rest) == 1 else None
    candidates = [type(value)] if value is not None else []
    if isinstance(hint, type):
        candidates.insert(0, hint)
    origin = typing.get_origin(hint)
    if isinstance(origin, type):
        candidates.insert(0, origin)
    for candidate in candidates:
        if issubclass(candidate, Mapping):
            return dict, optional
        if issubclass(candidate, bool):
            return bool, optional
        if issubclass(candidate, Enum):
            return candidate, optional
        if issubclass(candidate, int):
            return int, optional
        if issubclass(candidate, (float, Decimal)):
            return candidate, optional
        if issubclass(candidate, str):
            return str, optional
    return None, optional


def field_specs(instance: Any, only: Sequence[str] | None = None) -> list[FieldSpec]:
    """What to show for each editable field of the dataclass ``instance`` (in ``only``'s
    order when given: a strategy's own parameters, say)."""
    hints = _resolved_types(type(instance))
    specs: list[FieldSpec] = []
    items = {item.name: item for item in dataclasses.fields(instance)}
    chosen = [items[name] for name in only if name in items] if only is not None else items.values()
    for item in chosen:
        if not item.init or item.name.startswith("_"):
            continue
        value = getattr(instance, item.name)
        kind, optional = _kind_of(hints.get(item.name), value)
        if kind is None:
            continue
        meta = item.metadata
        unit, decimals, maximum = "", 2, NUMBER_MAX
        for suffix, suffix_unit, suffix_decimals, suffix_max in UNIT_SUFFIXES:
            if item.name.endswith(suffix):
                unit, decimals, maximum = suffix_unit, suffix_decimals, suffix_max
                break
        if kind is int:
            decimals = 0
        elif not unit and isinstance(value, (float, Decimal)) and abs(value) < 10:
            decimals = 6  # a rate such as 0.001 must not show as 0.00
        specs.append(
            FieldSpec(
                name=item.name,
                label=str(meta.get("label", humanize(item.name))),
                unit=str(meta.get("unit", unit)),
                help=str(meta.get("help", meta.get("description", ""))),
                kind=kind,
                optional=optional,
                decimals=int(meta.get("decimals", decimals)),
                minimum=float(meta.get("min", 0.0)),
                maximum=float(meta.get("max", maximum)),
            )
        )
    return specs


class DataclassForm(QWidget):
    """Edits one dataclass instance; ``build()`` returns the edited copy."""

    changed = Signal()

    def __init__(
        self,
        instance: Any,
        parent: QWidget | None = None,
        *,
        prefix: str = "",
        columns: int = 1,
        only: Sequence[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.instance = instance
        self.specs = field_specs(instance, only)
        self.editors: dict[str, QWidget] = {}
        self.switches: dict[str, QCheckBox] = {}
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        forms = [QFormLayout() for _ in range(max(1, columns))]
        for form in forms:
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            outer.addLayout(form, 1)
        per_column = -(-len(self.specs) // len(forms))
        for number, spec in enumerate(self.specs):
            layout = forms[number // per_column]
            editor = self._editor(spec, getattr(instance, spec.name))
            editor.setObjectName(f"{prefix}{spec.name}")
            editor.setToolTip(spec.help or spec.label)
            self.editors[spec.name] = editor
            if spec.optional and spec.kind not in (bool, str):
                switch = QCheckBox("on", self)
                switch.setObjectName(f"{prefix}{spec.name}_enabled")
                switch.setChecked(getattr(instance, spec.name) is not None)
                editor.setEnabled(switch.isChecked())
                switch.toggled.connect(editor.setEnabled)
                switch.toggled.connect(lambda _on: self.changed.emit())
                self.switches[spec.name] = switch
                layout.addRow(self._label(spec), hrow(editor, switch))
            else:
                layout.addRow(self._label(spec), editor)

    @staticmethod
    def _label(spec: FieldSpec) -> str:
        unit = f" ({spec.unit})" if spec.kind is dict and spec.unit else ""
        return spec.label + unit

    def _editor(self, spec: FieldSpec, value: Any) -> QWidget:
        if spec.kind is bool:
            box = QCheckBox(self)
            box.setChecked(bool(value))
            box.toggled.connect(lambda _on: self.changed.emit())
            return box
        if isinstance(spec.kind, type) and issubclass(spec.kind, Enum):
            combo = QComboBox(self)
            for member in spec.kind:
                combo.addItem(str(member.value).replace("_", " "), member)
            if value is not None:
                combo.setCurrentIndex(combo.findData(value))
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            return combo
        if spec.kind is str or spec.kind is dict:
            line = QLineEdit(self)
            if spec.kind is dict:
                line.setText(format_mapping(value or {}))
                line.setPlaceholderText("none (e.g. name: 40, other: 25)")
            else:
                line.setText("" if value is None else str(value))
            line.textChanged.connect(lambda _t: self.changed.emit())
            return line
        spin: QSpinBox | QDoubleSpinBox
        if spec.kind is int:
            spin = QSpinBox(self)
            spin.setRange(int(spec.minimum), int(min(spec.maximum, 2**31 - 1)))
        else:
            spin = QDoubleSpinBox(self)
            spin.setDecimals(spec.decimals)
            spin.setRange(spec.minimum, spec.maximum)
        compact_spin(spin)
        if spec.unit:
            spin.setSuffix(f" {spec.unit}")
        if value is not None:
            spin.setValue(int(value) if spec.kind is int else float(value))
        spin.valueChanged.connect(lambda _v: self.changed.emit())
        return spin

    def values(self) -> dict[str, Any]:
        """Field name → the value as typed (None for an optional field switched off)."""
        result: dict[str, Any] = {}
        for spec in self.specs:
            editor = self.editors[spec.name]
            switch = self.switches.get(spec.name)
            if switch is not None and not switch.isChecked():
                result[spec.name] = None
                continue
            if isinstance(editor, QCheckBox):
                result[spec.name] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                result[spec.name] = editor.currentData()
            elif isinstance(editor, QLineEdit) and spec.kind is dict:
                result[spec.name] = parse_mapping(editor.text(), spec.label)
            elif isinstance(editor, QLineEdit):
                text = editor.text().strip()
                result[spec.name] = None if spec.optional and not text else text
            elif isinstance(editor, QSpinBox):
                result[spec.name] = editor.value()
            elif isinstance(editor, QDoubleSpinBox):
                number = editor.value()
                result[spec.name] = (
                    Decimal(str(round(number, spec.decimals)))
                    if spec.kind is Decimal
                    else float(number)
                )
        return result

    def changes(self) -> dict[str, Any]:
        """Only the fields whose value differs from the instance."""
        return {
            name: value
            for name, value in self.values().items()
            if not _same(getattr(self.instance, name), value)
        }

    def build(self) -> Any:
        """The edited copy; raises whatever the dataclass's validation raises."""
        return dataclasses.replace(self.instance, **self.changes())

    def set_value(self, name: str, value: Any, *, enable: bool = False) -> None:
        """Set one field's editor (presets, automation, tests); ``enable`` switches an
        optional field on."""
        editor = self.editors[name]
        if enable and name in self.switches:
            self.switches[name].setChecked(True)
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findData(value))
        elif isinstance(editor, QLineEdit):
            editor.setText(format_mapping(value) if isinstance(value, Mapping) else str(value))
        elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.setValue(value)


def format_mapping(mapping: Mapping[str, Any]) -> str:
    """``{"momentum": 40.0}`` → ``momentum: 40``."""
    return ", ".join(f"{key}: {value:g}" for key, value in mapping.items())


def parse_mapping(text: str, label: str) -> dict[str, float]:
    """``momentum: 40, BTC/USDT: 25`` → ``{"momentum": 40.0, "BTC/USDT": 25.0}``."""
    result: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, separator, number = part.rpartition(":") if ":" in part else part.rpartition("=")
        try:
            value = float(Decimal(number.strip()))
        except InvalidOperation:
            value = math.nan
        if not separator or not key.strip() or not math.isfinite(value):
            raise ConfigError(f"{label}: write each entry as name: number, e.g. momentum: 40")
        result[key.strip()] = value
    return result


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, (int, float, Decimal)) and isinstance(new, (int, float, Decimal)):
        if isinstance(old, bool) or isinstance(new, bool):
            return old == new
        return math.isclose(float(old), float(new), rel_tol=1e-12, abs_tol=1e-12)
    return old == new
