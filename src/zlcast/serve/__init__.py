"""What users read: ``publish`` (the versioned read-only catalog for BI tools) and ``report`` (the HTML report)."""
