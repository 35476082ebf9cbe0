"""Files in and out: event logs, YAML with line numbers, safe XML, atomic writes.

No domain logic lives here.
"""
