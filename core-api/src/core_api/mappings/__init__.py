"""Generic CSV column mappings: saved per account, and the step an import waits in for one."""
