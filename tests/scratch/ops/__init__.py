"""Tests for shendu.scratch (mirroring src/shendu/scratch)."""
