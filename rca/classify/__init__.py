"""Classify: takes ErrorEvents (rca.events) and gives each a failure class: the rule packs first,
the scikit-learn model for what no rule claims (and over a connection-failure rule's claim when it is
sure of another cause class, rca.classify.hybrid), `unknown` when neither is sure; and `rca eval`.
May import: rca.events, rca.ingest, rca.errors."""
