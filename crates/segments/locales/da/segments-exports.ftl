# Segment actions: exports (seed 002). Owned by the exports pages and jobs.
