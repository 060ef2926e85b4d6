"""Rapid coal analyzers: Modbus RTU, Modbus TCP and ASCII serial lines."""
