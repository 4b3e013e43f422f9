"""Which board an institution's drafts go to: its own Label Studio when the network file names one (with its own
service token), else the deployment's; every board once for the reconciler; a missing token is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from referral.config import Settings
from referral.network import load_network, write_network
from review.board import review_board, review_boards


def test_an_institution_with_its_own_board_reviews_there_and_the_others_on_the_deployments(tmp_path: Path) -> None:
    network = load_network(write_network(tmp_path / "network.yaml", {"knuh": {"review_board_url": "http://knuh:8080"}}))
    settings = Settings(data_dir=tmp_path, label_studio_url="http://default:8080", label_studio_token="default-token",
                        label_studio_tokens={"knuh": "knuh-token"})  # fmt: skip
    knuh, yeongwol = review_board(settings, "knuh", network), review_board(settings, "yeongwol-mc", network)
    assert (knuh.url, yeongwol.url) == ("http://knuh:8080", "http://default:8080")
    assert knuh.client._client_wrapper.get_headers()["Authorization"].endswith("knuh-token")
    assert yeongwol.client._client_wrapper.get_headers()["Authorization"].endswith("default-token")
    assert [b.url for b in review_boards(settings, network)] == ["http://default:8080", "http://knuh:8080"]


def test_an_own_board_without_its_token_is_refused_by_name_never_given_the_default_token(tmp_path: Path) -> None:
    network = load_network(write_network(tmp_path / "network.yaml", {"knuh": {"review_board_url": "http://knuh:8080"}}))
    settings = Settings(data_dir=tmp_path, label_studio_token="default-token")
    with pytest.raises(RuntimeError, match="label-studio-token.knuh"):
        review_board(settings, "knuh", network)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "label-studio-token.knuh").write_text("from-file\n")
    assert (
        review_board(settings, "knuh", network)
        .client._client_wrapper.get_headers()["Authorization"]
        .endswith("from-file")
    )
