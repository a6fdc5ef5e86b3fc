"""Year-end self-evaluation (绩效自评): scoring the year's returns (:mod:`perfsheet.selfeval.score`)."""
