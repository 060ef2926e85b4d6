"""Daily dispatch and weekly bulletin per region (R13): JSON, CSV and printable HTML."""
