"""KServe's scikit-learn predictor for the benchmark (runs in the anchor venv, not ours).

KServe ships its sklearn server only as a container image, not on PyPI, so this is the same
thing built from the published ``kserve`` package: a ``kserve.Model`` that joblib-loads the
model file and answers V1 and V2 through kserve's own request/response helpers, served by
``kserve.ModelServer`` with its defaults (one worker).

    python kserve_sklearn.py --model_file F --model_name NAME --http_port PORT
"""

import argparse

import joblib
from kserve import Model, ModelServer
from kserve.utils.utils import get_predict_input, get_predict_response


class SKLearnModel(Model):
    def __init__(self, name, model_file):
        super().__init__(name)
        self.model_file = model_file

    def load(self):
        self._model = joblib.load(self.model_file)
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None):
        return get_predict_response(
            payload, self._model.predict(get_predict_input(payload)), self.name
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_file", required=True)
    parser.add_argument("--model_name", required=True)
    parser.add_argument("--http_port", type=int, required=True)
    args, _ = parser.parse_known_args()
    model = SKLearnModel(args.model_name, args.model_file)
    model.load()
    ModelServer(http_port=args.http_port, grpc_port=args.http_port + 1).start([model])
