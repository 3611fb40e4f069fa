"""The campaign's areas: reads (DataFrames) and writes (checked and audited commands) per area, and pure computations."""
