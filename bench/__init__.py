"""sosa's benchmarks (`make bench`): the real services as processes on the real broker and
PostgreSQL, timed. Timing belongs here, not in the pass/fail tests; docs/performance.md says
what each scenario measures and what bounds it."""
