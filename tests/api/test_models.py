"""The registered models through the API: data scientists only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app
from attrition.config import SHIPPED_CONFIGS, load_config
from attrition.pipeline.train import train
from attrition.settings import Settings
from attrition.store import open_store, upgrade_store
from attrition.store.keys import create_key


def test_data_scientists_list_models_with_holdout_metrics_and_others_are_refused(tmp_path):
    train(load_config(SHIPPED_CONFIGS / "flat_rossi.yaml"), home=str(tmp_path))
    url = f"sqlite:///{tmp_path / 'attrition.db'}"
    upgrade_store(url)
    engine = open_store(url)
    scientist, _ = create_key(engine, role="data_scientist")
    hr, _ = create_key(engine, role="hr")
    engine.dispose()
    with TestClient(create_app(Settings(home=tmp_path, database_url=url))) as client:
        listed = client.get("/v1/models", headers={"X-API-Key": scientist})
        assert listed.status_code == 200
        assert [m["ref"] for m in listed.json()] == ["flat_rossi@1"]
        one = client.get("/v1/models/flat_rossi", headers={"X-API-Key": scientist}).json()
        holdout = one[0]["holdout"]
        assert [h["horizon"] for h in holdout] == [13.0, 26.0, 39.0]
        assert all(0.5 < h["c_harrell"] < 1 for h in holdout)
        assert client.get("/v1/models/nope", headers={"X-API-Key": scientist}).status_code == 404
        assert client.get("/v1/models", headers={"X-API-Key": hr}).status_code == 403
        assert client.get("/v1/models/flat_rossi", headers={"X-API-Key": hr}).status_code == 403
