"""What every layer stands on: settings, engines, the clock, the models and schema, errors, permissions, change marks, the query vocabulary."""
