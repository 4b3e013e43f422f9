"""The constraints of the BSeR and KR Core profiles, read from their FSH sources in ../shared/data/fhir (not
written here), checked on every resource that claims one of those profiles: each element a rule makes required
(`* path 1..`) is present and not empty, and each fixed value (`* path = #code`, `= $alias#code`, `= "text"
(exactly)`) is there. Rules on slices (`identifier[HIRA]`), extensions and profile metadata (`^`) are not read;
a parent profile outside the FSH sources (US Core, base FHIR) ends the chain."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CANONICALS = {"hl7-bser-referral-fsh": "http://hl7.org/fhir/us/bser/StructureDefinition/",
              "kr-core-fsh": "http://www.hl7korea.or.kr/fhir/krcore/StructureDefinition/"}  # fmt: skip
_REQUIRED = re.compile(r"^\* (?P<path>[A-Za-z][A-Za-z.]*) (?:1\.\.[1*]?)(?:\s|$)")
_FIXED = re.compile(
    r'^\* (?P<path>[A-Za-z][A-Za-z.]*) = (?:(?P<system>\$[\w.-]+|"[^"]+")?#(?P<code>[\w.-]+)|"(?P<text>[^"]*)")'
)


@dataclass(frozen=True)
class Rule:
    profile: str
    path: str
    code: str | None = None
    system: str | None = None
    text: str | None = None


@cache
def _profiles(fhir_root: Path) -> dict[str, tuple[str, str, list[str]]]:
    """canonical url → (its Id, parent name or id, rule lines), and name → canonical for parents."""
    found: dict[str, tuple[str, str, list[str]]] = {}
    for folder, canonical in CANONICALS.items():
        for path in sorted((fhir_root / folder).rglob("profiles/*.fsh")):
            for block in re.split(r"(?m)^(?=Profile:)", path.read_text(encoding="utf-8")):
                name = re.search(r"(?m)^Profile:\s*(\S+)", block)
                ident, parent = re.search(r"(?m)^Id:\s*(\S+)", block), re.search(r"(?m)^Parent:\s*(\S+)", block)
                if name and ident and parent:
                    entry = (name.group(1), parent.group(1), block.splitlines())
                    found[canonical + ident.group(1)] = entry
    return found


@cache
def _aliases(fhir_root: Path) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for path in fhir_root.rglob("*.fsh"):
        for match in re.finditer(r"(?m)^Alias:\s*(\$[\w.-]+)\s*=\s*(\S+)", path.read_text(encoding="utf-8")):
            aliases[match.group(1)] = match.group(2)
    return aliases


def rules_of(fhir_root: Path, canonical: str) -> list[Rule]:
    """The profile's rules and those of its parents within the FSH sources."""
    profiles = _profiles(fhir_root)
    by_name = {entry[0]: url for url, entry in profiles.items()} | {url.rsplit("/", 1)[1]: url for url in profiles}
    rules: list[Rule] = []
    url: str | None = canonical
    while url in profiles:
        _, parent, lines = profiles[url]
        for line in lines:
            if (fixed := _FIXED.match(line)) and not line.startswith("* ^"):
                system = fixed.group("system")
                system = _aliases(fhir_root).get(system, system.strip('"')) if system else None
                rules.append(Rule(url, fixed.group("path"), fixed.group("code"), system, fixed.group("text")))
            elif (required := _REQUIRED.match(line)) and not required.group("path").startswith("extension"):
                rules.append(Rule(url, required.group("path")))
        url = by_name.get(parent)
    return rules


def _values(node: Any, path: list[str]) -> list[Any]:
    if not path:
        return [node]
    if isinstance(node, list):
        return [v for item in node for v in _values(item, path)]
    if isinstance(node, dict) and path[0] in node:
        return _values(node[path[0]], path[1:])
    if isinstance(node, dict):  # a choice type: value[x] written as valueReference
        return [
            v
            for key, item in node.items()
            if key.startswith(path[0]) and key != path[0]
            for v in _values(item, path[1:])
        ]
    return []


def _present(resource: dict[str, Any], path: list[str]) -> list[Any]:
    return [v for v in _values(resource, path) if v not in (None, "", [], {})]


def _holds(rule: Rule, resource: dict[str, Any]) -> bool:
    steps = rule.path.split(".")
    if len(steps) > 1 and not _present(resource, steps[:-1]):
        return True  # "statusReason.text 1..": required in a statusReason, which itself may be absent
    values = _present(resource, steps)
    if rule.code is None and rule.text is None:
        return bool(values)
    if rule.text is not None:
        return rule.text in values
    for value in values:
        codings = value.get("coding", [value]) if isinstance(value, dict) else [value]
        for coding in codings:
            if coding == rule.code or (isinstance(coding, dict) and coding.get("code") == rule.code
                                       and (rule.system is None or coding.get("system") == rule.system)):  # fmt: skip
                return True
    return False


def broken_rules(fhir_root: Path, bundle: dict[str, Any]) -> tuple[int, list[str]]:
    """(rules checked, each broken one as 'ResourceType/id: profile: path ...') over every resource of the bundle
    (nested bundles included) that claims a profile of the FSH sources."""
    checked, broken = 0, []
    stack = [bundle]
    while stack:
        resource = stack.pop()
        stack += [e["resource"] for e in resource.get("entry", []) if "resource" in e]
        for canonical in resource.get("meta", {}).get("profile", []):
            for rule in rules_of(fhir_root, canonical):
                checked += 1
                if not _holds(rule, resource):
                    want = (
                        f" = {rule.system or ''}#{rule.code}"
                        if rule.code
                        else f' = "{rule.text}"'
                        if rule.text
                        else " 1.."
                    )
                    broken.append(f"{resource['resourceType']}/{resource.get('id')}: {canonical.rsplit('/', 1)[1]}: "
                                  f"{rule.path}{want}")  # fmt: skip
    return checked, broken
