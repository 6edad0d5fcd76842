# Segment actions: actions (seed 002). Owned by the actions pages and jobs.
