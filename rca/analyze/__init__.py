"""Analyze: takes classified events (rca.classify) and gives the Analysis: group summaries mapped per
part and merged, deploys, onsets, incidents, root cause and symptoms, the five whys, `--repo` findings;
and, for `rca diff` and `rca verify`, rates per request compared across a change.
May import: rca.classify, rca.events, rca.ingest, rca.errors."""
