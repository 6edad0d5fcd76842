# The import's strings (jobs, mapping screen, rejection reasons).
