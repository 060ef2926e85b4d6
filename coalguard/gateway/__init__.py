"""The checkpoint PC service: drivers and edge wired into one process."""
