"""The ``coalguard`` console command; sub-commands live one module each."""
