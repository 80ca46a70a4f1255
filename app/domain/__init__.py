"""Pure domain: enums, rules and tables. Imports nothing from Flask or the database."""
