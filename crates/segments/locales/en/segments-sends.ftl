# Segment actions: sends (seed 002). Owned by the sends pages and jobs.
