"""Helpers for the end-to-end tests: run a config into a temporary root."""
from pathlib import Path

from datalife.pipeline.config import load_config
from datalife.pipeline.run import run_pipeline


def run_config(config_path: Path, root: Path, **updates):
    cfg = load_config(config_path)
    cfg = cfg.model_copy(update={"root": str(root), **updates})
    return cfg, run_pipeline(cfg)
