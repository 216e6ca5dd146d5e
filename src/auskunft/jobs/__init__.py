"""Background work: a job table claimed by a worker (`auskunft worker` or in-process)."""
