"""The source documents' Flask deployment ("2. 部署方案", "# Flask API部署"), re-created as the
baseline of benchmarks/serve_load.py.

What is kept from the documents: one Flask route ``POST /predict`` that reads the multipart
``image`` field, opens it with PIL, preprocesses it, runs the model on a batch of one under
``torch.no_grad()``, takes the softmax and answers ``jsonify({"predicted_class", "confidence",
"status": "success"})`` (``{"error", "status": "error"}`` with code 200 on any exception, as the
documents do), served by ``app.run(host, port)`` with Flask's defaults: Werkzeug's development
server, ``threaded=True`` (Flask's default since 1.0), so each request runs in its own thread and
every request is its own forward pass; nothing is batched.

What differs, so that all three servers compute the same thing: the model is the run folder's
(``shendu.load(run).model``, where the documents ``torch.load('model.pth')``), and the transform is
the run's own preprocessing (``shendu.data.images.image_to_tensor`` with the run's input spec: grey,
28x28, MNIST mean/std, auto-invert) where the documents use a torchvision ImageNet transform and
``convert('RGB')`` for their 3-channel 224x224 model. The documents bind 0.0.0.0; this binds
127.0.0.1 (``--host``).

    python benchmarks/flask_baseline.py RUN [--port 5000] [--threads N]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import torch
import torch.nn.functional as F
from flask import Flask, jsonify, request
from PIL import Image

import shendu
from shendu.data.images import image_to_tensor


def create_app(run: Path | str) -> Flask:
    predictor = shendu.load(run)
    # 加载模型 (the documents: model = torch.load('model.pth', map_location='cpu'); model.eval())
    model = predictor.model
    model.eval()
    spec = predictor.input_spec

    # 图像预处理: the run's own preprocessing in place of the documents' torchvision Compose
    def transform(image: Image.Image) -> torch.Tensor:
        return image_to_tensor(image, spec)

    app = Flask(__name__)

    @app.route("/predict", methods=["POST"])
    def predict():  # noqa: ANN202 - the documents' view, as written there
        try:
            # 获取图像
            image_file = request.files["image"]
            image = Image.open(io.BytesIO(image_file.read()))
            # 预处理
            input_tensor = transform(image).unsqueeze(0)
            # 预测
            with torch.no_grad():
                outputs = model(input_tensor)
                probabilities = F.softmax(outputs, dim=1)
                predicted_class = torch.argmax(probabilities, dim=1).item()
                confidence = probabilities[0][predicted_class].item()
            return jsonify({
                "predicted_class": predicted_class,
                "confidence": confidence,
                "status": "success",
            })
        except Exception as e:  # noqa: BLE001 - the documents answer every failure this way
            return jsonify({"error": str(e), "status": "error"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the run folder to serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    app = create_app(args.run)
    # the model is loaded before the socket is bound: any HTTP answer means ready
    app.run(host=args.host, port=args.port)  # Flask's defaults: Werkzeug dev server, threaded=True


if __name__ == "__main__":
    main()
