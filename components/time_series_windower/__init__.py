"""time_series_windower: order restored, gap-aware, time-split windows (see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
