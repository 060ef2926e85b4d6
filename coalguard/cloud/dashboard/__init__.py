"""The operators' web dashboard: server-rendered Chinese pages with a little JS."""
