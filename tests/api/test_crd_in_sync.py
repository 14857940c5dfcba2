"""The committed CRD and reference page are exactly what the generators produce."""

from __future__ import annotations

from mlmodel_operator.api import crd, reference


def test_crds_file_matches_the_models() -> None:
    assert crd.CRD_FILE.read_text() == crd.to_yaml(), (
        "crds/mlmodel.yaml is stale: run `python -m mlmodel_operator.api.crd` and commit it"
    )


def test_reference_doc_matches_the_crd() -> None:
    assert reference.DOC_FILE.read_text() == reference.render(), (
        "docs/mlmodel-reference.md is stale: run `python -m mlmodel_operator.api.reference`"
    )


def test_check_mode_reports_a_stale_file(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "mlmodel.yaml"
    stale.write_text(crd.to_yaml().replace("mlm\n", "mlmx\n"))
    assert crd.main(["--check", "--output", str(stale)]) == 1
    assert "is stale" in capsys.readouterr().out
    stale.write_text(crd.to_yaml())
    assert crd.main(["--check", "--output", str(stale)]) == 0
