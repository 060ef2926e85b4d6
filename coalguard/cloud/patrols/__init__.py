"""Grid patrols (R23, R27; [docs/patrols.md](../../../docs/patrols.md)): the grid tree on the
contact directory, patrol rhythms as data per jurisdiction, patrol records with photos
made on a phone, overdue-patrol alerts to the grid leader, and the pre-season sweep."""
