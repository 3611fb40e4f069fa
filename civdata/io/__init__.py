"""Files in and out: imports, exports, reports, backups, photos, the sample data and the simulated feed."""
