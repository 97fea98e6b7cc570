"""The engine: running the graders, the isolated worker, reading submissions, reports, batches."""
