"""The industry templates of PRODUCT.md S10 (seed 003): education, real estate, finance,
fitness, manufacturing with connected equipment and SaaS, each a status model file here
(`<name>.yaml`), listed with its labels and the custom fields it reads in `catalogue.yaml`.

A template is installed ON TOP of the current model, never instead of it: customers keep the
dimensions of S1 (lifecycle, value, grade …) and the rules already there. `apply_model` makes
the database's model exactly the file's, so installing is

    1. the template's custom fields created when missing (through the audited action; one that
       exists with another type stops the install),
    2. the template checked alone (its problems with the template's own line numbers),
    3. the current model exported, the template's dimensions and rules merged into it by key
       (a dimension or rule of the same key replaced by the template's, the others kept, new
       ones appended), the result checked whole by `parse_model`,
    4. applied by `apply_model` in the same transaction, every change audited with a diff.

So a second install changes nothing, and re-installing after editing a template's dimension
in the web UI puts the template's version back (states holding customers cannot be removed:
apply_model refuses the whole file then). A dry run does everything in a transaction that is
rolled back. Templates read only their own dimensions, the facts and their custom fields, so
each installs on any model, alone or beside the others.

    tend status templates
    tend status install-template fitness [--dry-run]"""

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tend.core.errors import NotFound, PermissionDenied
from tend.customers.models import CustomFieldDefinition
from tend.status.model_file import ModelFileErrors, apply_model, export_model, parse_model
from tend.status.models import Dimension, Rule

FOLDER = Path(__file__).parent
CATALOGUE = FOLDER / "catalogue.yaml"
# The C loader and dumper when PyYAML has them: merging reads and writes the whole model.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _load(text: str):
    return yaml.load(text, Loader=_Loader)  # a safe loader, C or Python


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label_zh: str
    label_en: str
    field_type: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    name: str
    label_zh: str
    label_en: str
    description_zh: str
    description_en: str
    fields: tuple[FieldSpec, ...]

    @property
    def path(self) -> Path:
        return FOLDER / f"{self.name}.yaml"

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def _in_language(self, name: str) -> str:
        zh, en = getattr(self, f"{name}_zh"), getattr(self, f"{name}_en")
        return (zh or en) if (get_language() or "zh-hans").startswith("zh") else (en or zh)

    @property
    def label(self) -> str:
        return self._in_language("label")

    @property
    def description(self) -> str:
        return self._in_language("description")

    def keys(self) -> tuple[list[str], list[str]]:
        """The keys of the template's dimensions and rules."""
        data = _load(self.text())
        return (
            [entry["key"] for entry in data.get("dimensions") or []],
            [entry["key"] for entry in data.get("rules") or []],
        )

    def installed(self) -> bool:
        """Whether every dimension and rule of the template is in the model."""
        dimensions, rules = self.keys()
        return Dimension.objects.filter(key__in=dimensions).count() == len(dimensions) and (
            Rule.objects.filter(key__in=rules).count() == len(rules)
        )


def templates() -> list[Template]:
    """Every template, in the catalogue's order."""
    data = _load(CATALOGUE.read_text(encoding="utf-8"))
    found = []
    for entry in data["templates"]:
        label, description = entry["label"], entry.get("description") or {}
        found.append(
            Template(
                name=entry["name"],
                label_zh=label["zh"],
                label_en=label.get("en", ""),
                description_zh=description.get("zh", ""),
                description_en=description.get("en", ""),
                fields=tuple(
                    FieldSpec(
                        key=field["key"],
                        label_zh=field["label"]["zh"],
                        label_en=field["label"].get("en", ""),
                        field_type=field["type"],
                        choices=tuple(field.get("choices") or ()),
                    )
                    for field in entry.get("custom_fields") or []
                ),
            )
        )
    return found


def get_template(name: str) -> Template:
    for template in templates():
        if template.name == name:
            return template
    raise NotFound(
        _("No template is called “%(name)s”; there are: %(names)s.")
        % {"name": name, "names": ", ".join(t.name for t in templates())}
    )


def ensure_fields(template: Template, *, actor) -> list[str]:
    """Create the template's custom fields that do not exist yet (audited, by an
    administrator); the keys created. A field of the same key and another type refuses."""
    from tend.customers.actions import create_custom_field_definition

    existing = {d.key: d for d in CustomFieldDefinition.objects.filter(key__in=_keys(template))}
    clashes = [
        _(
            "The custom field “%(key)s” exists as a %(found)s field; the template reads a %(wanted)s."
        )
        % {"key": spec.key, "found": existing[spec.key].field_type, "wanted": spec.field_type}
        for spec in template.fields
        if spec.key in existing and existing[spec.key].field_type != spec.field_type
    ]
    if clashes:
        raise ModelFileErrors(clashes)
    missing = [spec for spec in template.fields if spec.key not in existing]
    if missing and actor is None:
        raise PermissionDenied(_("Only an administrator can change custom fields."))
    created = []
    for spec in missing:
        data = {
            "key": spec.key,
            "label_zh": spec.label_zh,
            "label_en": spec.label_en or spec.key,
            "field_type": spec.field_type,
        }
        if spec.choices:
            data["choices"] = list(spec.choices)
        create_custom_field_definition(actor=actor, data=data)
        created.append(spec.key)
    return created


def _keys(template: Template) -> list[str]:
    return [spec.key for spec in template.fields]


def merged_model_text(template: Template) -> str:
    """The current model with the template's dimensions and rules merged in by key."""
    current = _load(export_model())
    adding = _load(template.text())
    for section in ("dimensions", "rules"):
        entries = list(current.get(section) or [])
        index = {entry["key"]: position for position, entry in enumerate(entries)}
        for entry in adding.get(section) or []:
            if entry["key"] in index:
                entries[index[entry["key"]]] = entry
            else:
                entries.append(entry)
        current[section] = entries
    return yaml.dump(current, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


@dataclass
class Installed:
    template: Template
    counts: dict  # apply_model's: created, updated, removed
    fields_created: list[str]


def install_template(template: Template | str, *, actor, dry_run: bool = False) -> Installed:
    """Add the template to the model (see the module's description); with `dry_run`, say what
    would change and change nothing. ModelFileErrors lists the problems; nothing is applied
    then."""
    if isinstance(template, str):
        template = get_template(template)
    with transaction.atomic():
        created = ensure_fields(template, actor=actor)
        parse_model(template.text())
        try:
            specs = parse_model(merged_model_text(template))
        except ModelFileErrors as errors:
            raise ModelFileErrors(
                [
                    _("The current model with the template: %(problem)s") % {"problem": problem}
                    for problem in errors.problems
                ]
            ) from None
        counts = apply_model(actor=actor, specs=specs)
        if dry_run:
            transaction.set_rollback(True)
    return Installed(template, counts, created)
