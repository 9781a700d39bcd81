"""Declarative rules: YAML packs that name a failure class and say why, with examples beside each rule."""

from rca.classify.rules.cascades import Cascade
from rca.classify.rules.engine import UNCLASSIFIED, Classification, RuleSet, fill_template, shipped_rules_dir
from rca.classify.rules.loader import Rule, RuleError, write_pack
from rca.classify.rules.snippets import event_from_text

__all__ = ["Cascade", "Classification", "Rule", "RuleError", "RuleSet", "UNCLASSIFIED", "event_from_text", "fill_template",
           "shipped_rules_dir", "write_pack"]
