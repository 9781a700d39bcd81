"""Analyze: takes classified events (rca.classify) and gives the Analysis: group summaries mapped per
part and merged, deploys, onsets, incidents, root cause and symptoms, the five whys, `--repo` findings.
May import: rca.classify, rca.events, rca.ingest, rca.errors."""
