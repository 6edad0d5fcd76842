# Segment actions: tags (seed 002). Owned by the tags pages and jobs.
