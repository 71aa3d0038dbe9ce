"""image-folder accuracy on a folder built from scikit-learn's shipped digits.

    python benchmarks/image_folder_digits.py [--out runs]

Writes the 1,797 digits as 32x32 PNGs in ``<tmp>/digits/digit_<k>/``, trains the
``image-folder`` recipe with its defaults (small CNN) through the CLI, and prints the test
accuracy against the target of 97%.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from shendu.data.folder import export_digits_folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs", help="where the run folder goes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = export_digits_folder(Path(tmp) / "digits")
        out = Path(args.out) / "image-folder-digits"
        subprocess.run([sys.executable, "-m", "shendu", "train", "image-folder", "--data", str(folder),
                        "--out", str(out), "--no-progress"], check=True)
    run = max(out.iterdir(), key=lambda p: p.stat().st_mtime)
    metrics = json.loads((run / "metrics.json").read_text())
    verdict = "met" if metrics["test_acc"] >= 0.97 else "NOT met"
    print(f"image-folder (small CNN) on the shipped digits as PNGs: test accuracy {metrics['test_acc']:.4f} "
          f"on {metrics['test_samples']} images, {metrics['train_seconds']:.0f} s training "
          f"(target >= 0.97: {verdict}); run folder {run}")


if __name__ == "__main__":
    main()
