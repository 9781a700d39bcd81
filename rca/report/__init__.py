"""Report: takes the Analysis (rca.analyze) and gives what people read: one view model rendered as
Markdown, HTML and JSON, terminal tables of events, and the notebook's AnalysisResult.
May import: every stage below it (rca.analyze, rca.classify, rca.events, rca.ingest), rca.errors."""
