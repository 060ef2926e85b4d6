"""The cloud's copy of each gateway's hash-chained ledgers: kept, verified, forks alerted."""
